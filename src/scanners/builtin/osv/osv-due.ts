import type { AdvisoryDb } from './advisory-store.js';
import { DEFAULT_OSV_REFRESH_MS, DEFAULT_OSV_RETRY_MS } from './osv-refresh.js';

/**
 * Whether an advisory import is due, from what the database remembers rather than a timer:
 * for a process that lives one cycle (a scheduled function), as the running refresh
 * decides it. Due when a source was never imported or last imported longer ago than the
 * refresh interval, unless it was attempted within the retry delay (a failing source is
 * retried at that pace, not at every cycle).
 */
export async function osvImportDue(db: AdvisoryDb, sources: readonly string[], now: Date): Promise<boolean> {
  if (sources.length === 0) return false;
  const [imports, attempts] = await Promise.all([
    db.selectFrom('osv_sources').select(['source', 'imported_at']).where('source', 'in', [...sources]).execute(),
    db.selectFrom('osv_source_attempts').select(['source', 'attempted_at']).where('source', 'in', [...sources]).execute(),
  ]);
  const nowMs = now.getTime();
  return sources.some((source) => {
    const imported = imports.find((row) => row.source === source);
    const attempted = attempts.find((row) => row.source === source);
    const stale = !imported || nowMs - Number(imported.imported_at) >= DEFAULT_OSV_REFRESH_MS;
    const triedLately = attempted !== undefined && nowMs - Number(attempted.attempted_at) < DEFAULT_OSV_RETRY_MS;
    return stale && !triedLately;
  });
}
