import { RegistryError } from './registry-error.js';

/** The slice of the platform's `fetch` the registry client uses; tests may pass their own. */
export type FetchLike = (input: URL | string, init?: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 });

/** Statuses that say "not now" rather than "no": throttling, timeouts and passing 5xx. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

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

function parseRetryAfter(value: string | null): number | null {
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
  return new RegistryError('network', `${what} failed: ${detail}`);
}

/**
 * Reads a whole body, refusing more than `maxBytes` (announced or actual) so that a
 * hostile server cannot make us buffer without bound.
 */
export async function readBodyCapped(response: Response, maxBytes: number, what: string): Promise<Buffer> {
  const announced = Number(response.headers.get('content-length') ?? NaN);
  if (announced > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new RegistryError('too-large', `${what} is ${announced} bytes, more than the ${maxBytes} allowed`);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new RegistryError('too-large', `${what} is more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}

export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
