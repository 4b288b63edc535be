import type { AdvisoryControl } from '../scanners/builtin/osv/advisory-control.js';
import type { AppDeps } from './app.js';

/**
 * Warnings about stale advisory data (older than ECRSCAN_ADVISORY_MAX_AGE, or never
 * imported): the built-in scanner's findings may miss vulnerabilities. Shown in the summary
 * and on each image of a built-in configuration.
 */
export async function staleAdvisoryNotes(advisories: AdvisoryControl): Promise<string[]> {
  const sources = await advisories.freshness();
  return sources
    .filter((source) => source.stale)
    .map((source) =>
      source.ageSeconds === null
        ? `advisory source ${source.source} has never been imported: built-in scan results may miss vulnerabilities`
        : `advisory data of ${source.source} is ${Math.floor(source.ageSeconds / 3600)} h old (ECRSCAN_ADVISORY_MAX_AGE): built-in scan results may miss recent vulnerabilities`,
    );
}

// Data ages by the hour: reading it once a minute keeps a request's one-read cost.
const WARNINGS_TTL_MS = 60_000;

/** `staleAdvisoryNotes`, read at most once a minute (for the summary); none without advisories. */
export function createAdvisoryWarnings(deps: Pick<AppDeps, 'clock' | 'advisories'>): () => Promise<string[]> {
  let read: { at: number; notes: Promise<string[]> } | null = null;
  return () => {
    const advisories = deps.advisories;
    if (!advisories) return Promise.resolve([]);
    const now = deps.clock.now().getTime();
    if (!read || now - read.at >= WARNINGS_TTL_MS) {
      const notes = staleAdvisoryNotes(advisories);
      // A failed read is retried by the next request rather than cached.
      notes.catch(() => {
        read = null;
      });
      read = { at: now, notes };
    }
    return read.notes;
  };
}
