import type { Logger } from 'pino';
import { parseEpssCsv } from './epss-csv.js';
import { parseKevCatalogue } from './kev-catalogue.js';
import { parseNvdDocument } from './nvd-records.js';
import { type ImportCounts, type ImportedDocument, type PrioritisationDb, readSourceState, recordAttempt, replaceEpss, replaceKev, type SourceKind, upsertNvd } from './prioritisation-store.js';
import { EnrichmentSourceError } from './source-error.js';
import { displaySource, type FetchOptions, fetchSource } from './source-fetch.js';

/**
 * Imports the prioritisation sources: fetch (conditionally), compare the checksum, parse,
 * store. A source that fails keeps its stored data and records the error; the others go on.
 */

export interface PrioritisationSource {
  kind: SourceKind;
  /** A file path or an https URL, as configured. */
  location: string;
}

export type PrioritisationOutcome =
  | { source: string; kind: SourceKind; ok: true; notModified: boolean; records: number; events: number }
  | { source: string; kind: SourceKind; ok: false; error: string; retryable: boolean };

export interface PrioritisationImportOptions extends FetchOptions {
  now?: () => number;
  log?: Pick<Logger, 'info' | 'warn'>;
}

/** The sources the configuration names, KEV and EPSS first (they are small and change daily). */
export function configuredSources(config: { kevSource: string | null; epssSource: string | null; nvdSources: readonly string[] }): PrioritisationSource[] {
  return [
    ...(config.kevSource ? [{ kind: 'kev' as const, location: config.kevSource }] : []),
    ...(config.epssSource ? [{ kind: 'epss' as const, location: config.epssSource }] : []),
    ...config.nvdSources.map((location) => ({ kind: 'nvd' as const, location })),
  ];
}

async function store(db: PrioritisationDb, source: PrioritisationSource, text: string, document: ImportedDocument, now: number): Promise<ImportCounts> {
  switch (source.kind) {
    case 'kev':
      return replaceKev(db, source.location, parseKevCatalogue(text), document, now);
    case 'epss':
      return replaceEpss(db, source.location, parseEpssCsv(text), document, now);
    case 'nvd':
      return upsertNvd(db, source.location, parseNvdDocument(text).rows, document, now);
  }
}

export async function importPrioritisationSource(db: PrioritisationDb, source: PrioritisationSource, options: PrioritisationImportOptions = {}): Promise<PrioritisationOutcome> {
  const now = options.now ?? Date.now;
  const shown = displaySource(source.location);
  try {
    const state = await readSourceState(db, source.location);
    const fetched = await fetchSource(source.location, state, options);
    if (fetched.notModified) {
      await recordAttempt(db, source.location, source.kind, now(), null);
      options.log?.info({ source: shown, kind: source.kind }, 'prioritisation source unchanged');
      return { source: shown, kind: source.kind, ok: true, notModified: true, records: 0, events: 0 };
    }
    const counts = await store(db, source, fetched.text, { sha256: fetched.sha256, validators: fetched.validators }, now());
    options.log?.info({ source: shown, kind: source.kind, ...counts }, 'prioritisation source imported');
    return { source: shown, kind: source.kind, ok: true, notModified: false, ...counts };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (!(error instanceof EnrichmentSourceError)) throw error;
    await recordAttempt(db, source.location, source.kind, now(), error.message);
    options.log?.warn({ source: shown, kind: source.kind, error: error.message }, 'prioritisation source failed');
    return { source: shown, kind: source.kind, ok: false, error: error.message, retryable: error.retryable };
  }
}

export async function importPrioritisationSources(db: PrioritisationDb, sources: readonly PrioritisationSource[], options: PrioritisationImportOptions = {}): Promise<PrioritisationOutcome[]> {
  const outcomes: PrioritisationOutcome[] = [];
  for (const source of sources) outcomes.push(await importPrioritisationSource(db, source, options));
  return outcomes;
}
