import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import type { RequestBudget } from '../../request-budget.js';
import {
  backoffDelay,
  parseRetryAfter,
  createDeadline,
  describeUrl,
  discardBody,
  failureOf,
  isRetryableStatus,
  isSuccess,
  readBodyCapped,
  sleep,
  type HttpRequester,
  type HttpResponse,
  type RequestDeadline,
  type RetryPolicy,
} from './http.js';
import { RegistryError, kindOfStatus } from './registry-error.js';
import { RegistryErrorBody, jsonParser } from './schemas.js';

export interface RegistryTimeouts {
  /** Until the response headers arrive, and for small bodies (manifests, tag lists) until the body is read. */
  requestMs: number;
  /** Longest silence while a blob streams before the download counts as stalled. */
  idleMs: number;
  /** Longest a blob download may take in all, however steadily its bytes come. */
  blobMs: number;
  /**
   * Slowest a blob may arrive, in bytes per second of waiting for the server, once
   * `idleMs` of such waiting has passed: a server trickling a few bytes at a time is
   * never silent long enough for `idleMs`, and would otherwise hold a slot for `blobMs`.
   */
  minBytesPerSecond: number;
}

export const DEFAULT_TIMEOUTS: Readonly<RegistryTimeouts> = Object.freeze({ requestMs: 30_000, idleMs: 30_000, blobMs: 15 * 60_000, minBytesPerSecond: 16 * 1024 });

export interface TransportOptions {
  http: HttpRequester;
  auth: Authenticator;
  isInsecure(host: string): boolean;
  timeouts: RegistryTimeouts;
  retry: RetryPolicy;
  userAgent: string;
  /** Requests per second and in flight per host, shared by every scan of the process. */
  budget: RequestBudget;
  log?: Logger;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  /** Token scope, `repository:<name>:pull`. */
  scope: string;
  accept?: string;
  signal?: AbortSignal;
  /** Names the request in errors: `manifest library/debian:12 from registry.example`. */
  what: string;
}

/** A successful response whose deadline still runs: the caller clears it once the body is read. */
export interface OpenResponse {
  response: HttpResponse;
  /** Where the response came from after redirects. */
  url: URL;
  deadline: RequestDeadline;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const parseErrorBody = jsonParser(RegistryErrorBody);

/**
 * Sends one registry request the way every registry expects: credentials after a
 * challenge, 429 and 5xx retried with backoff, redirects followed without forwarding the
 * `Authorization` header to another origin, and a 2xx answer or a classified error.
 */
export async function sendRegistryRequest(options: TransportOptions, request: RegistryRequest): Promise<OpenResponse> {
  const host = request.url.host;
  let challenged = false;
  for (let attempt = 1; ; ) {
    // Waiting for the budget is not the registry's time: the deadline starts after it.
    const release = await options.budget.acquire(host, request.signal);
    const deadline = releasing(
      createDeadline(options.timeouts.requestMs, () => new RegistryError('timeout', `${request.what} timed out after ${options.timeouts.requestMs} ms`), request.signal),
      release,
    );
    let sent: { response: HttpResponse; url: URL; authorization: string | null };
    try {
      const authorization = await options.auth.headerFor(host, request.scope, request.signal);
      sent = await fetchFollowingRedirects(options, request, authorization, deadline.signal);
    } catch (err) {
      deadline.clear();
      const failure = failureOf(err, deadline, request.signal, request.what);
      if (failure instanceof RegistryError && failure.retryable && attempt < options.retry.attempts) {
        await pause(options, request, attempt, null, failure.kind);
        attempt++;
        continue;
      }
      throw failure;
    }
    const { response, url } = sent;
    if (isSuccess(response.status)) return { response, url, deadline };
    if (response.status === 401 && !challenged && url.host === host) {
      challenged = true;
      discardBody(response);
      deadline.clear();
      const challenge = response.header('www-authenticate');
      if (await options.auth.answerChallenge(host, request.scope, challenge, sent.authorization, request.signal)) continue;
      throw new RegistryError('unauthorized', `${request.what} answered 401: ${host} needs credentials that are not configured`, 401);
    }
    if (response.status === 429 || (response.status === 503 && response.header('retry-after'))) {
      // The host said "not now" to this process: every request to it waits, not only this one.
      const retryAfter = parseRetryAfter(response.header('retry-after'));
      options.budget.pauseHost(host, retryAfter ?? backoffDelay(options.retry, attempt, null));
      options.log?.warn({ host, status: response.status, retryAfterMs: retryAfter }, 'registry asked to slow down: host paused');
    }
    if (isRetryableStatus(response.status) && attempt < options.retry.attempts) {
      discardBody(response);
      deadline.clear();
      await pause(options, request, attempt, response, String(response.status));
      attempt++;
      continue;
    }
    const error = await errorOfResponse(response, request.what, url.host === host ? null : url.host);
    deadline.clear();
    throw error;
  }
}

/**
 * The deadline of a request that holds a budget slot: the slot is given back when the
 * response is done with (the deadline cleared, as every reader does once the body is read
 * or given up) or the request is aborted, whichever comes first.
 */
function releasing(deadline: RequestDeadline, release: () => void): RequestDeadline {
  deadline.signal.addEventListener('abort', release, { once: true });
  return {
    ...deadline,
    signal: deadline.signal,
    abort(error) {
      deadline.abort(error);
      release();
    },
    clear() {
      deadline.clear();
      release();
    },
    expired: () => deadline.expired(),
  };
}

async function pause(options: TransportOptions, request: RegistryRequest, attempt: number, response: HttpResponse | null, reason: string): Promise<void> {
  const delayMs = backoffDelay(options.retry, attempt, response?.header('retry-after') ?? null);
  options.log?.warn({ host: request.url.host, reason, attempt, delayMs }, 'registry request retried');
  await sleep(delayMs, request.signal);
}

async function fetchFollowingRedirects(
  options: TransportOptions,
  request: RegistryRequest,
  authorization: string | null,
  signal: AbortSignal,
): Promise<{ response: HttpResponse; url: URL; authorization: string | null }> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent };
  if (request.accept) headers.accept = request.accept;
  if (authorization) headers.authorization = authorization;
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const response = await options.http(url, { method: request.method, headers, signal });
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url, authorization };
    discardBody(response);
    const location = response.header('location');
    if (!location || hop >= MAX_REDIRECTS) {
      throw new RegistryError('invalid-response', `${request.what}: ${location ? 'too many redirects' : 'a redirect without Location'}`);
    }
    const next = new URL(location, url);
    if (next.protocol !== 'https:' && !(next.protocol === 'http:' && options.isInsecure(next.host))) {
      throw new RegistryError('invalid-response', `${request.what} was redirected to ${describeUrl(next)}, which is neither https nor a host listed as insecure`);
    }
    // Credentials are the registry's: a blob store elsewhere (S3, a CDN) must not see them.
    if (next.origin !== url.origin) delete headers.authorization;
    url = next;
  }
}

/** A readable error from a non-2xx answer, with the registry's own error code when it sent one. */
async function errorOfResponse(response: HttpResponse, what: string, redirectedTo: string | null): Promise<RegistryError> {
  let detail = '';
  try {
    const body = await readBodyCapped(response, MAX_ERROR_BODY_BYTES, 'error body');
    const first = parseErrorBody.parse(body, 'error body').errors[0];
    if (first) detail = [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    discardBody(response);
  }
  const from = redirectedTo ? ` from ${redirectedTo}` : '';
  const text = `${what} answered ${response.status}${from}${detail ? ` (${sanitise(detail)})` : ''}`;
  return new RegistryError(kindOfStatus(response.status), text, response.status);
}

/** Registry error texts are the other host's words: shortened and stripped of control characters. */
function sanitise(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}
