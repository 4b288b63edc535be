import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { type Advisory, toAdvisory } from './advisory.js';
import { type AdvisoryDb, readImportSource, saveAdvisories, saveAttempt, saveImportSource, storedModifiedTimes } from './advisory-store.js';
import { downloadZip } from './osv-download.js';
import { directoryEntries, fileEntries, localSourceKind, type OsvEntry, zipEntries } from './osv-entries.js';
import { checkOsvRecord } from './osv-record.js';
import { OsvSourceError } from './osv-source-error.js';

/**
 * Loads OSV records into the store from the sources of `ECRSCAN_OSV_SOURCES`: local
 * directories, local zips or single files, and https URLs of zips. Incremental: a record
 * is written only when its `modified` is newer than the stored copy's, and an unchanged
 * zip (same size and time, or HTTP 304) is not read at all. A malformed record is counted
 * and skipped with its reason; it never stops the import.
 */

export { OsvSourceError } from './osv-source-error.js';

export interface ImportOptions {
  /** The service's data directory; downloads are written below it and removed after import. */
  dataDir: string;
  fetch?: typeof globalThis.fetch;
  /** Plain http to 127.0.0.1; for tests against a local server only. */
  allowLoopbackHttp?: boolean;
  /** Largest record accepted (default 4 MiB; osv.dev's largest records are far below). */
  maxRecordBytes?: number;
  /** Largest download accepted (default 4 GiB). */
  maxDownloadBytes?: number;
  /** Time allowed for one download (default 30 minutes). */
  downloadTimeoutMs?: number;
  signal?: AbortSignal;
  log?: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

export interface RejectedRecord {
  /** The file or zip entry the record came from. */
  entry: string;
  reason: string;
}

export interface ImportReport {
  source: string;
  /** Documents read, valid or not. */
  read: number;
  /** Records written because they were new or newer than the stored copy. */
  imported: number;
  /** Records already stored with the same or a later `modified`. */
  unchanged: number;
  /** Among the imported, those withdrawn (kept so that matching ignores them). */
  withdrawn: number;
  invalid: number;
  /** The first rejected records and why (at most MAX_REJECTED_LISTED). */
  rejected: RejectedRecord[];
  /** The whole source was unchanged since the last import and was not read. */
  notModified: boolean;
}

const DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024 * 1024;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_REJECTED_LISTED = 100;
// A batch is one transaction; it is flushed at this many records or bytes, whichever comes first.
const BATCH_RECORDS = 500;
const BATCH_BYTES = 32 * 1024 * 1024;

function emptyReport(source: string): ImportReport {
  return { source, read: 0, imported: 0, unchanged: 0, withdrawn: 0, invalid: 0, rejected: [], notModified: false };
}

function reject(report: ImportReport, entry: string, reason: string): void {
  report.invalid++;
  if (report.rejected.length < MAX_REJECTED_LISTED) report.rejected.push({ entry, reason });
}

function parseEntry(entry: OsvEntry): { advisory: Advisory } | { reason: string } {
  if ('reason' in entry) return { reason: entry.reason };
  let json: unknown;
  try {
    json = JSON.parse(entry.text);
  } catch (error) {
    return { reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const checked = checkOsvRecord(json);
  return checked.ok ? { advisory: toAdvisory(checked.record) } : { reason: checked.reason };
}

/** Writes the records of a batch that are newer than what is stored; the latest copy of an id within the batch wins. */
async function flush(db: AdvisoryDb, batch: Map<string, Advisory>, source: string, report: ImportReport, now: number): Promise<void> {
  if (batch.size === 0) return;
  const stored = await storedModifiedTimes(db, [...batch.keys()]);
  const newer = [...batch.values()].filter((advisory) => {
    const known = stored.get(advisory.id);
    return known === undefined || advisory.modified > known;
  });
  report.unchanged += batch.size - newer.length;
  report.imported += newer.length;
  report.withdrawn += newer.filter((advisory) => advisory.withdrawn !== null).length;
  await saveAdvisories(db, newer, source, now);
  batch.clear();
}

/** Turns the reader's failures (an unreadable directory, a corrupt zip) into the source's failure. */
async function* readerOf(source: string, entries: AsyncIterable<OsvEntry>, signal?: AbortSignal): AsyncGenerator<OsvEntry> {
  try {
    yield* entries;
  } catch (error) {
    if (error instanceof OsvSourceError || signal?.aborted) throw error;
    throw new OsvSourceError(`OSV source ${displaySource(source)} cannot be read: ${error instanceof Error ? error.message : String(error)}`, false);
  }
}

async function importEntries(db: AdvisoryDb, entries: AsyncIterable<OsvEntry>, report: ImportReport, now: number, signal?: AbortSignal): Promise<void> {
  const batch = new Map<string, Advisory>();
  let batchBytes = 0;
  for await (const entry of readerOf(report.source, entries, signal)) {
    signal?.throwIfAborted();
    report.read++;
    const parsed = parseEntry(entry);
    if ('reason' in parsed) {
      reject(report, entry.name, parsed.reason);
      continue;
    }
    const known = batch.get(parsed.advisory.id);
    if (known && known.modified >= parsed.advisory.modified) {
      report.unchanged++;
      continue;
    }
    if (known) report.unchanged++;
    batch.set(parsed.advisory.id, parsed.advisory);
    batchBytes += 'text' in entry ? entry.text.length : 0;
    if (batch.size >= BATCH_RECORDS || batchBytes >= BATCH_BYTES) {
      await flush(db, batch, report.source, report, now);
      batchBytes = 0;
    }
  }
  await flush(db, batch, report.source, report, now);
}

function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

async function importUrl(db: AdvisoryDb, source: string, options: ImportOptions, report: ImportReport, now: number): Promise<void> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new OsvSourceError(`OSV source ${displaySource(source)} is not a valid URL`, false);
  }
  const previous = await readImportSource(db, source);
  const download = await downloadZip(url, {
    dataDir: options.dataDir,
    fetch: options.fetch ?? globalThis.fetch,
    allowLoopbackHttp: options.allowLoopbackHttp ?? false,
    maxBytes: options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    timeoutMs: options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
    signal: options.signal,
    etag: previous?.etag ?? null,
    lastModified: previous?.last_modified ?? null,
  });
  if (download.notModified) {
    report.notModified = true;
    if (previous) await saveImportSource(db, { ...previous, imported_at: now });
    return;
  }
  try {
    await importEntries(db, zipEntries(download.path, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES), report, now, options.signal);
  } finally {
    await rm(download.path, { force: true });
  }
  // The validators are stored only once every record is in, so that a broken-off import is redone.
  await saveImportSource(db, { source, etag: download.etag, last_modified: download.lastModified, signature: null, imported_at: now, records: report.read });
}

async function importLocal(db: AdvisoryDb, source: string, options: ImportOptions, report: ImportReport, now: number): Promise<void> {
  const maxBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let kind;
  try {
    kind = await localSourceKind(source);
  } catch (error) {
    throw new OsvSourceError(`OSV source ${source} cannot be read: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  let signature: string | null = null;
  if (kind === 'zip') {
    const info = await stat(source);
    signature = `${info.size}:${info.mtimeMs}`;
    const previous = await readImportSource(db, source);
    if (previous?.signature === signature) {
      report.notModified = true;
      await saveImportSource(db, { ...previous, imported_at: now });
      return;
    }
  }
  const entries = kind === 'directory' ? directoryEntries(source, maxBytes) : kind === 'zip' ? zipEntries(source, maxBytes) : fileEntries(source, maxBytes);
  await importEntries(db, entries, report, now, options.signal);
  await saveImportSource(db, { source, etag: null, last_modified: null, signature, imported_at: now, records: report.read });
}

/** Imports one source. Failures of the source itself throw `OsvSourceError`; bad records do not throw. */
export async function importOsvSource(db: AdvisoryDb, source: string, options: ImportOptions): Promise<ImportReport> {
  const report = emptyReport(source);
  const now = (options.now ?? Date.now)();
  if (isUrl(source)) await importUrl(db, source, options, report, now);
  else await importLocal(db, source, options, report, now);
  const { rejected: _rejected, ...counts } = report;
  options.log?.info({ ...counts, source: displaySource(source) }, 'osv source imported');
  if (report.invalid > 0) options.log?.warn({ source: displaySource(source), invalid: report.invalid, examples: report.rejected.slice(0, 5) }, 'osv records skipped');
  return report;
}

export type SourceOutcome = { source: string; ok: true; report: ImportReport } | { source: string; ok: false; error: string; retryable: boolean };

/** Imports every source in turn; one failing source is reported and does not stop the others. */
export async function importOsvSources(db: AdvisoryDb, sources: readonly string[], options: ImportOptions): Promise<SourceOutcome[]> {
  const outcomes: SourceOutcome[] = [];
  for (const source of sources) {
    options.signal?.throwIfAborted();
    const attemptedAt = (options.now ?? Date.now)();
    try {
      outcomes.push({ source, ok: true, report: await importOsvSource(db, source, options) });
      await saveAttempt(db, source, attemptedAt, null);
    } catch (error) {
      if (!(error instanceof OsvSourceError)) throw error;
      options.log?.warn({ source: displaySource(source), error: error.message, retryable: error.retryable }, 'osv source failed');
      outcomes.push({ source, ok: false, error: error.message, retryable: error.retryable });
      await saveAttempt(db, source, attemptedAt, error.message);
    }
  }
  return outcomes;
}

/** A source as logs may show it: a URL without credentials or query (which may carry tokens). */
export function displaySource(source: string): string {
  if (!isUrl(source)) return source;
  try {
    const url = new URL(source);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The local sources (not URLs) that do not exist, as absolute paths: a start-up error rather than a silent gap. */
export async function missingLocalSources(sources: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const source of sources.filter((entry) => !isUrl(entry))) {
    try {
      await stat(source);
    } catch {
      missing.push(resolve(source));
    }
  }
  return missing;
}

/** `ECRSCAN_OSV_SOURCES`: comma-separated paths and URLs, blanks ignored. */
export function parseOsvSources(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
