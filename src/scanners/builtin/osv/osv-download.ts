import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { OsvSourceError } from './osv-source-error.js';

/**
 * Downloads an OSV zip (osv.dev's `<ecosystem>/all.zip`) into the service's data
 * directory, conditionally on the validators of the previous download, with a size cap.
 */

export interface DownloadOptions {
  dataDir: string;
  fetch: typeof globalThis.fetch;
  /** Plain http to 127.0.0.1 only; meant for tests against a local server. */
  allowLoopbackHttp: boolean;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  etag: string | null;
  lastModified: string | null;
}

export type DownloadResult =
  | { notModified: true }
  | { notModified: false; path: string; etag: string | null; lastModified: string | null };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/** https anywhere; http only to the loopback address and only when allowed. */
export function checkSourceUrl(url: URL, allowLoopbackHttp: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname)) return;
  throw new OsvSourceError(`OSV source ${url.origin} must use https`, false);
}

function conditionalHeaders(options: DownloadOptions): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/zip, application/octet-stream;q=0.9, */*;q=0.1' };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  return headers;
}

function byteCap(maxBytes: number, url: URL): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total > maxBytes) done(new OsvSourceError(`OSV source ${url.origin}${url.pathname} is larger than ${maxBytes} bytes`, false));
      else done(null, chunk);
    },
  });
}

async function request(url: URL, options: DownloadOptions): Promise<Response> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  try {
    return await options.fetch(url, { headers: conditionalHeaders(options), redirect: 'follow', signal: AbortSignal.any(signals) });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new OsvSourceError(`OSV source ${url.origin}${url.pathname} could not be fetched: ${error instanceof Error ? error.message : String(error)}`, true);
  }
}

export async function downloadZip(url: URL, options: DownloadOptions): Promise<DownloadResult> {
  checkSourceUrl(url, options.allowLoopbackHttp);
  const response = await request(url, options);
  // A redirect must not lead to a plain-http host either.
  if (response.url) checkSourceUrl(new URL(response.url), options.allowLoopbackHttp);
  if (response.status === 304) {
    await response.body?.cancel();
    return { notModified: true };
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    const retryable = response.status >= 500 || response.status === 429;
    throw new OsvSourceError(`OSV source ${url.origin}${url.pathname} answered HTTP ${response.status}`, retryable);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body.cancel();
    throw new OsvSourceError(`OSV source ${url.origin}${url.pathname} is larger than ${options.maxBytes} bytes`, false);
  }
  const dir = join(options.dataDir, 'osv-downloads');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}.zip.part`);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), byteCap(options.maxBytes, url), createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(path, { force: true });
    if (error instanceof OsvSourceError || options.signal?.aborted) throw error;
    throw new OsvSourceError(`OSV source ${url.origin}${url.pathname} broke off: ${error instanceof Error ? error.message : String(error)}`, true);
  }
  return { notModified: false, path, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
}
