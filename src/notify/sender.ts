import type { Agent } from 'undici';
import { request } from 'undici';
import type { ClaimedDelivery } from '../domain/subscription.js';
import { VERSION } from '../version.js';
import { webhookHeaders } from './secrets.js';
import { refusedLiteral } from './webhook-target.js';

/** Bytes of a receiver's answer read, for the error shown in the delivery list; the rest is discarded. */
const RESPONSE_CAP = 4096;
const ERROR_TEXT_MAX = 200;

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** Whether trying again may help (5xx, 408, 429, timeouts, connection errors). */
  retryable: boolean;
  /** A 429's `Retry-After`, in milliseconds from now. */
  retryAfterMs: number | null;
}

export interface SendOptions {
  agent: Agent;
  timeoutMs: number;
  allowPrivate: boolean;
  now: Date;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
}

/** The secrets that sign now: the current one, and the previous one during a rotation's overlap. */
function signingSecrets(delivery: ClaimedDelivery, now: Date): string[] {
  const { secret, previousSecret, previousSecretExpiresAt } = delivery.subscription;
  const overlap = previousSecret && previousSecretExpiresAt && previousSecretExpiresAt > now;
  return overlap ? [secret, previousSecret] : [secret];
}

/** POSTs one message, signed per Standard Webhooks, and classifies what came back. */
export async function sendDelivery(delivery: ClaimedDelivery, options: SendOptions): Promise<AttemptResult> {
  const url = new URL(delivery.subscription.url);
  const literal = refusedLiteral(url, options.allowPrivate);
  if (literal) return failure(null, `refused: ${literal} is a private, loopback or link-local address`, false);
  const timestamp = Math.floor(options.now.getTime() / 1000);
  const headers = {
    'content-type': delivery.contentType,
    'user-agent': `ecrscan/${VERSION}`,
    ...webhookHeaders(signingSecrets(delivery, options.now), delivery.messageId, timestamp, delivery.body),
  };
  // AbortSignal.any would do, but only from Node 20.3; the service runs on every Node 20.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new TimeoutError(options.timeoutMs)), options.timeoutMs);
  const onShutdown = (): void => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onShutdown, { once: true });
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body: delivery.body,
      dispatcher: options.agent,
      signal: abort.signal,
    });
    const text = await readCapped(response.body);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { ok: true, statusCode: status, error: null, retryable: false, retryAfterMs: null };
    const detail = `HTTP ${status}${text ? `: ${printable(text)}` : ''}`;
    if (status === 429) return { ...failure(status, detail, true), retryAfterMs: retryAfter(response.headers['retry-after'], options.now) };
    // Redirects are not followed: a receiver that moved must be given its new URL.
    return failure(status, detail, status >= 500 || status === 408);
  } catch (err) {
    return failure(null, describe(err, options.timeoutMs), !isRefusal(err));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onShutdown);
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

function failure(statusCode: number | null, error: string, retryable: boolean): AttemptResult {
  return { ok: false, statusCode, error, retryable, retryAfterMs: null };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_CAP) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_CAP).toString('utf8');
}

/** The answer's text for the delivery list: one line, control characters out, clipped. */
function printable(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > ERROR_TEXT_MAX ? `${line.slice(0, ERROR_TEXT_MAX)}…` : line;
}

/** `Retry-After` as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfter(header: string | string[] | undefined, now: Date): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^[0-9]{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now.getTime());
}

function isRefusal(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'EPRIVATEADDRESS';
}

function describe(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return 'request failed';
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test((err as NodeJS.ErrnoException).code ?? '')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  const cause = err.cause instanceof Error ? err.cause : null;
  const causeCode = cause ? (cause as NodeJS.ErrnoException).code : undefined;
  return printable(`${code ?? causeCode ?? err.name}: ${cause?.message ?? err.message}`);
}
