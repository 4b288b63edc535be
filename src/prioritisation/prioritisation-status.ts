import type { PrioritisationSource } from './prioritisation-import.js';
import type { PrioritisationDb, SourceKind } from './prioritisation-store.js';
import { displaySource } from './source-fetch.js';

/** How current each prioritisation source is, for GET /advisories, /metrics and the freshness warnings. */
export interface PrioritisationSourceStatus {
  source: string;
  kind: SourceKind;
  lastImport: Date | null;
  lastAttempt: Date | null;
  lastError: string | null;
  /** Rows the source holds: KEV listings, EPSS scores, or NVD scores last written from it. */
  records: number;
  /** What the data says of its date: the KEV catalogue version, the EPSS model and score date. */
  dataVersion: string | null;
  ageSeconds: number | null;
  stale: boolean;
}

function toDate(value: number | string | null | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

/** Every configured source, in the configuration's order. */
export async function readPrioritisationStatus(db: PrioritisationDb, sources: readonly PrioritisationSource[], now: Date, maxAgeMs: number): Promise<PrioritisationSourceStatus[]> {
  if (sources.length === 0) return [];
  const rows = await db
    .selectFrom('enrichment_sources')
    .selectAll()
    .where(
      'source',
      'in',
      sources.map((source) => source.location),
    )
    .execute();
  return sources.map((source): PrioritisationSourceStatus => {
    const row = rows.find((candidate) => candidate.source === source.location);
    const lastImport = toDate(row?.imported_at);
    const ageSeconds = lastImport === null ? null : Math.max(0, Math.floor((now.getTime() - lastImport.getTime()) / 1000));
    return {
      source: displaySource(source.location),
      kind: source.kind,
      lastImport,
      lastAttempt: toDate(row?.attempted_at),
      lastError: row?.error ?? null,
      records: Number(row?.records ?? 0),
      dataVersion: row?.data_version ?? null,
      ageSeconds,
      stale: ageSeconds === null || ageSeconds * 1000 > maxAgeMs,
    };
  });
}
