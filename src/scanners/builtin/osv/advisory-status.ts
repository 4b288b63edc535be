import type { AdvisoryDb } from './advisory-store.js';
import { displaySource } from './osv-importer.js';

/**
 * What the advisory data is and how current (GET /advisories, /metrics, the freshness
 * warnings): per source, the last successful import, the last attempt and its error, what
 * it holds and its newest record.
 */

export interface AdvisorySourceStatus {
  /** As logs show it: a URL without credentials or query. */
  source: string;
  /** The last import that completed, whether it wrote records or found the source unchanged. */
  lastImport: Date | null;
  lastAttempt: Date | null;
  /** Why the last attempt failed; null when it succeeded. */
  lastError: string | null;
  /** Advisories stored from this source that are not withdrawn, by ecosystem as records name it. */
  ecosystems: Record<string, number>;
  withdrawn: number;
  /** The newest `modified` among its records. */
  newestModified: Date | null;
  /** Time since `lastImport`; null when never imported. */
  ageSeconds: number | null;
  /** Never imported, or last imported longer ago than the allowed age. */
  stale: boolean;
}

/** How current one source's data is: cheap enough for every metrics scrape and readiness check. */
export type SourceFreshness = Pick<AdvisorySourceStatus, 'source' | 'lastImport' | 'ageSeconds' | 'stale'>;

export interface AdvisoryStatus {
  sources: AdvisorySourceStatus[];
  /** Recorded changes whose re-match has not finished. */
  pendingChanges: number;
  maxAgeSeconds: number;
}

function toDate(value: number | string | null | undefined): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

/** Every configured source and every source imported once, in name order: from the sources table alone. */
export async function readFreshness(db: AdvisoryDb, configured: readonly string[], now: Date, maxAgeMs: number): Promise<SourceFreshness[]> {
  const imports = await db.selectFrom('osv_sources').select(['source', 'imported_at']).execute();
  const names = new Set<string>([...configured, ...imports.map((row) => row.source)]);
  return [...names].sort().map((source) => freshnessOf(source, toDate(imports.find((row) => row.source === source)?.imported_at), now, maxAgeMs));
}

function freshnessOf(source: string, lastImport: Date | null, now: Date, maxAgeMs: number): SourceFreshness {
  const ageSeconds = lastImport === null ? null : Math.max(0, Math.floor((now.getTime() - lastImport.getTime()) / 1000));
  return { source: displaySource(source), lastImport, ageSeconds, stale: ageSeconds === null || ageSeconds * 1000 > maxAgeMs };
}

/** Every configured source, and every source records or attempts are stored for, in name order. */
export async function readAdvisoryStatus(db: AdvisoryDb, configured: readonly string[], now: Date, maxAgeMs: number): Promise<AdvisoryStatus> {
  const [imports, attempts, perEcosystem, perSource, pending] = await Promise.all([
    db.selectFrom('osv_sources').select(['source', 'imported_at']).execute(),
    db.selectFrom('osv_source_attempts').selectAll().execute(),
    db
      .selectFrom('osv_affected')
      .innerJoin('osv_advisories', 'osv_advisories.id', 'osv_affected.advisory_id')
      .select((eb) => ['osv_advisories.source', 'osv_affected.ecosystem', eb.fn.count<number>('osv_affected.advisory_id').distinct().as('n')])
      .groupBy(['osv_advisories.source', 'osv_affected.ecosystem'])
      .execute(),
    db
      .selectFrom('osv_advisories')
      .select((eb) => ['source', eb.fn.max('modified').as('newest'), eb.fn.count('withdrawn').as('withdrawn')])
      .groupBy('source')
      .execute(),
    db
      .selectFrom('advisory_changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('done_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  const names = new Set<string>([...configured, ...imports.map((row) => row.source), ...attempts.map((row) => row.source), ...perSource.map((row) => row.source)]);
  const sources = [...names].sort().map((source): AdvisorySourceStatus => {
    const imported = imports.find((row) => row.source === source);
    const attempt = attempts.find((row) => row.source === source);
    const stored = perSource.find((row) => row.source === source);
    const ecosystems: Record<string, number> = {};
    for (const row of perEcosystem) if (row.source === source) ecosystems[row.ecosystem] = Number(row.n);
    const freshness = freshnessOf(source, toDate(imported?.imported_at), now, maxAgeMs);
    return {
      ...freshness,
      lastAttempt: toDate(attempt?.attempted_at),
      lastError: attempt?.error ?? null,
      ecosystems,
      withdrawn: Number(stored?.withdrawn ?? 0),
      newestModified: toDate(stored?.newest as number | null | undefined),
    };
  });
  return { sources, pendingChanges: Number(pending.n), maxAgeSeconds: Math.floor(maxAgeMs / 1000) };
}
