import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { request } from 'undici';
import { RegistryError } from './registry-error.js';

/** The slice of the platform's `fetch` the registry client can run on. */
export type FetchLike = (input: URL | string, init?: RequestInit) => Promise<Response>;

export interface HttpRequestInit {
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** A response with its body as a Node stream, which must be read or discarded. */
export interface HttpResponse {
  status: number;
  header(name: string): string | null;
  body: Readable;
}

/** One HTTP exchange, redirects not followed (the transport decides where credentials may go). */
export type HttpRequester = (url: URL, init: HttpRequestInit) => Promise<HttpResponse>;

/**
 * The default: undici's `request`, whose body is a Node stream. Streaming a layer through
 * `fetch`'s web streams costs three to four times as much CPU (every chunk is copied once
 * more); on a layer that is most of a scan's work.
 */
export const undiciRequester: HttpRequester = async (url, init) => {
  const response = await request(url, { method: init.method, headers: init.headers, body: init.body, signal: init.signal });
  return {
    status: response.statusCode,
    header(name) {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    },
    body: response.body,
  };
};

/** Runs on a `fetch` instead (a proxy-aware one, say). */
export function fetchRequester(fetchImpl: FetchLike): HttpRequester {
  return async (url, init) => {
    const response = await fetchImpl(url, { method: init.method, headers: init.headers, body: init.body, signal: init.signal, redirect: 'manual' });
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      body: response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]),
    };
  };
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 });

/** Statuses that say "not now" rather than "no": throttling, timeouts and passing 5xx. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Exponential backoff with jitter, or the server's `Retry-After` when it sends one; both capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null): number {
  const fromHeader = parseRetryAfter(retryAfter);
  if (fromHeader !== null) return Math.min(fromHeader, policy.maxDelayMs);
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.5 + Math.random() / 2));
}

/** A `Retry-After` header in milliseconds from now (seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `https://host/path` of a URL: query strings may hold signatures (pre-signed blob URLs). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * A timer that aborts a request unless it is cleared first. Its signal also follows the
 * caller's, so that cancelling a scan cancels its downloads.
 */
export interface RequestDeadline {
  signal: AbortSignal;
  /** Aborts now with `reason`. */
  abort(reason: Error): void;
  /** Re-arms the timer with a new length and reason (a blob waiting for its next chunk). */
  restart(ms: number, reason: () => Error): void;
  /** Stops the timer until the next `restart` (while the consumer, not the server, is slow). */
  pause(): void;
  /** Stops the timer for good. */
  clear(): void;
  /** True when this deadline (not the caller) aborted the request. */
  expired(): boolean;
}

export function createDeadline(ms: number, reason: () => Error, caller?: AbortSignal): RequestDeadline {
  const controller = new AbortController();
  let expired = false;
  let cleared = false;
  let timer: NodeJS.Timeout | null = null;
  const stop = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const arm = (delay: number, why: () => Error): void => {
    stop();
    timer = setTimeout(() => {
      expired = true;
      controller.abort(why());
    }, delay);
  };
  arm(ms, reason);
  const signal = caller ? AbortSignal.any([caller, controller.signal]) : controller.signal;
  return {
    signal,
    abort(error) {
      stop();
      cleared = true;
      if (!controller.signal.aborted) {
        expired = true;
        controller.abort(error);
      }
    },
    restart(delay, why) {
      if (!cleared) arm(delay, why);
    },
    pause: stop,
    clear() {
      stop();
      cleared = true;
    },
    expired: () => expired,
  };
}

/** What OpenSSL says when a TLS handshake is answered in plain HTTP. */
const PLAIN_HTTP_ANSWER = /WRONG_VERSION_NUMBER|wrong version number|packet length too long|HTTP_REQUEST/i;

/**
 * Maps what `fetch` or a body read threw to a registry error: our own timeout, the
 * caller's cancellation (passed through unchanged) or a broken connection.
 */
export function failureOf(err: unknown, deadline: RequestDeadline, caller: AbortSignal | undefined, what: string): unknown {
  if (err instanceof RegistryError) return err;
  if (caller?.aborted) return caller.reason ?? err;
  if (deadline.expired()) {
    const reason = deadline.signal.reason;
    return reason instanceof RegistryError ? reason : new RegistryError('timeout', `${what} timed out`);
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error).message;
  if (PLAIN_HTTP_ANSWER.test(`${detail} ${cause?.message ?? ''}`)) {
    return new RegistryError(
      'network',
      `${what} failed: the registry answered the TLS handshake in plain HTTP; if it serves plain HTTP, list its host[:port] in ECRSCAN_INSECURE_REGISTRIES`,
    );
  }
  return new RegistryError('network', `${what} failed: ${detail}`);
}

/**
 * Reads a whole body, refusing more than `maxBytes` (announced or actual) so that a
 * hostile server cannot make us buffer without bound.
 */
export async function readBodyCapped(response: HttpResponse, maxBytes: number, what: string): Promise<Buffer> {
  const announced = Number(response.header('content-length') ?? NaN);
  if (announced > maxBytes) {
    discardBody(response);
    throw new RegistryError('too-large', `${what} is ${announced} bytes, more than the ${maxBytes} bytes allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total > maxBytes) {
      discardBody(response);
      throw new RegistryError('too-large', `${what} is more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

/** Error bodies and the like are small: reading them keeps the connection for the next request. */
const DISCARD_READ_LIMIT = 64 * 1024;

/** Frees the connection of a response whose body is not wanted (read to its end if small, else cut). */
export function discardBody(response: HttpResponse): void {
  const body = response.body as Readable & { dump?: (options: { limit: number }) => Promise<void> };
  // undici reports a body destroyed unread as an 'error' event; nobody is left to care.
  body.on('error', () => undefined);
  if (typeof body.dump === 'function') body.dump({ limit: DISCARD_READ_LIMIT }).catch(() => undefined);
  else if (!body.destroyed) body.destroy();
}
