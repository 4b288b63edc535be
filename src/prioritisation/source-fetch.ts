import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { EnrichmentSourceError } from './source-error.js';

/**
 * Reads one prioritisation source: a local file, or an https URL fetched conditionally on
 * the validators of the last import (ETag, Last-Modified). Either way the document's
 * SHA-256 is returned, so that an unchanged file (a local copy, or a server that ignores
 * conditional requests) is recognised before it is parsed. Gzip is undone by its magic
 * bytes, as the EPSS file is published `.csv.gz`.
 */

export interface FetchOptions {
  fetch?: typeof globalThis.fetch;
  /** Plain http to 127.0.0.1; for tests against a local server only. */
  allowLoopbackHttp?: boolean;
  /** Largest document accepted, compressed and decompressed (default 512 MiB). */
  maxBytes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export type FetchResult = { notModified: true } | { notModified: false; text: string; sha256: string; validators: Validators };

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** A source as logs and status show it: a URL without credentials or query. */
export function displaySource(source: string): string {
  if (!isUrlSource(source)) return source;
  try {
    const url = new URL(source);
    return `${url.origin}${url.pathname}`;
  } catch {
    return source;
  }
}

function checkUrl(url: URL, allowLoopbackHttp: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && allowLoopbackHttp && (url.hostname === '127.0.0.1' || url.hostname === '[::1]')) return;
  throw new EnrichmentSourceError(`source ${url.origin} must use https`, false);
}

function decode(bytes: Buffer, maxBytes: number, where: string): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes, { maxOutputLength: maxBytes }).toString('utf8');
    } catch (error) {
      throw new EnrichmentSourceError(`${where} is not valid gzip or is larger than ${maxBytes} bytes: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }
  return bytes.toString('utf8');
}

function result(bytes: Buffer, maxBytes: number, where: string, validators: Validators, previousSha256: string | null): FetchResult {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 === previousSha256) return { notModified: true };
  return { notModified: false, text: decode(bytes, maxBytes, where), sha256, validators };
}

async function download(url: URL, previous: Validators, options: FetchOptions, maxBytes: number): Promise<{ status: 304 } | { status: 200; bytes: Buffer; validators: Validators }> {
  const headers: Record<string, string> = {};
  if (previous.etag) headers['if-none-match'] = previous.etag;
  if (previous.lastModified) headers['if-modified-since'] = previous.lastModified;
  const signals = [AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
  const where = displaySource(url.href);
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { headers, redirect: 'follow', signal: AbortSignal.any(signals) });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new EnrichmentSourceError(`${where} could not be fetched: ${error instanceof Error ? error.message : String(error)}`, true);
  }
  if (response.url) checkUrl(new URL(response.url), options.allowLoopbackHttp ?? false);
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: 304 };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new EnrichmentSourceError(`${where} answered HTTP ${response.status}`, response.status >= 500 || response.status === 429);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new EnrichmentSourceError(`${where} is larger than ${maxBytes} bytes`, false);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new EnrichmentSourceError(`${where} is larger than ${maxBytes} bytes`, false);
  return { status: 200, bytes, validators: { etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') } };
}

export async function fetchSource(source: string, previous: Validators & { sha256: string | null }, options: FetchOptions = {}): Promise<FetchResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!isUrlSource(source)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(source);
    } catch (error) {
      throw new EnrichmentSourceError(`${source} cannot be read: ${error instanceof Error ? error.message : String(error)}`, false);
    }
    return result(bytes, maxBytes, source, { etag: null, lastModified: null }, previous.sha256);
  }
  const url = new URL(source);
  checkUrl(url, options.allowLoopbackHttp ?? false);
  const answer = await download(url, previous, options, maxBytes);
  if (answer.status === 304) return { notModified: true };
  return result(answer.bytes, maxBytes, displaySource(source), answer.validators, previous.sha256);
}
