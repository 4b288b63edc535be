import type { Kysely } from 'kysely';
import type { Database } from '../../store/tables.js';
import { ScanError } from '../scanner.js';

/**
 * Whether there are advisories to match against. Without any, every image would pass for
 * clean; it fails instead, with what to do about it. An import that is still under way on
 * a first start is waited for, so that no image is matched against half the data.
 */
export interface AdvisoryReadiness {
  /** Resolves once advisories are there; throws a `ScanError` when there are none. */
  ready(signal: AbortSignal): Promise<void>;
}

export interface AdvisoryReadinessOptions {
  /** The configured sources (`ECRSCAN_OSV_SOURCES`). */
  sources: readonly string[];
  /**
   * Resolves when the import in progress, or else one started now, is done: the running
   * OSV refresh's `importSoon`, or null when this process imports nothing.
   */
  importNow(): Promise<unknown> | null;
}

export const NO_SOURCES_MESSAGE = 'no advisory data: set ECRSCAN_OSV_SOURCES to OSV sources (directories or zips of OSV records, or https URLs of zips)';

/**
 * An import source row is written only once all of that source's records are in; with
 * advisories stored too, matching sees complete data.
 */
async function hasAdvisories(db: Kysely<Database>): Promise<boolean> {
  const source = await db.selectFrom('osv_sources').select('source').limit(1).executeTakeFirst();
  if (!source) return false;
  const advisory = await db.selectFrom('osv_advisories').select('id').limit(1).executeTakeFirst();
  return advisory !== undefined;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createAdvisoryReadiness(db: Kysely<Database>, options: AdvisoryReadinessOptions): AdvisoryReadiness {
  // Advisories are never removed (withdrawn records keep their row), so once there, always there.
  let known = false;
  let importing: Promise<unknown> | null = null;

  async function check(): Promise<boolean> {
    known ||= await hasAdvisories(db);
    return known;
  }

  return {
    async ready(signal) {
      if (known || (await check())) return;
      if (options.sources.length === 0) throw new ScanError('FAILED', NO_SOURCES_MESSAGE);
      if (importing === null) {
        const started = options.importNow();
        if (started === null) throw new ScanError('FAILED', 'no advisory data yet: the OSV sources of ECRSCAN_OSV_SOURCES have not been imported', true);
        // Every scan waiting now shares this one import.
        importing = started.finally(() => {
          importing = null;
        });
      }
      await abortable(importing, signal);
      if (await check()) return;
      throw new ScanError('FAILED', 'no advisory data: the sources of ECRSCAN_OSV_SOURCES could not be imported or hold no records (see the log)', true);
    },
  };
}
