import type { Logger } from 'pino';
import { importPrioritisationSources, type PrioritisationImportOptions, type PrioritisationOutcome, type PrioritisationSource } from './prioritisation-import.js';
import type { PrioritisationDb } from './prioritisation-store.js';

// CISA and FIRST publish once a day; every six hours keeps a new listing within a quarter
// of a day while an unchanged file costs a conditional request or a checksum.
const DEFAULT_PRIORITISATION_REFRESH_MS = 6 * 60 * 60 * 1000;
const RETRY_MS = 5 * 60 * 1000;

export interface PrioritisationRefresher {
  /** Imports every source now (after an import in progress) and returns the outcomes. */
  refreshNow(): Promise<PrioritisationOutcome[]>;
  stop(): Promise<void>;
}

export interface PrioritisationRefreshOptions extends Omit<PrioritisationImportOptions, 'signal' | 'log'> {
  intervalMs?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** Imports the sources now, then on a schedule; sooner again after a failure another try may fix. */
export function startPrioritisationRefresh(db: PrioritisationDb, sources: readonly PrioritisationSource[], options: PrioritisationRefreshOptions = {}): PrioritisationRefresher {
  const intervalMs = options.intervalMs ?? DEFAULT_PRIORITISATION_REFRESH_MS;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<PrioritisationOutcome[]> = Promise.resolve([]);
  let stopped = false;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void refreshNow(), delayMs);
    timer.unref();
  };

  const run = async (): Promise<PrioritisationOutcome[]> => {
    if (timer) clearTimeout(timer);
    try {
      const outcomes = await importPrioritisationSources(db, sources, { ...options, signal: abort.signal });
      schedule(outcomes.some((outcome) => !outcome.ok && outcome.retryable) ? RETRY_MS : intervalMs);
      return outcomes;
    } catch (error) {
      if (abort.signal.aborted) return [];
      options.log?.error({ err: error }, 'prioritisation refresh failed');
      schedule(RETRY_MS);
      return [];
    }
  };

  const refreshNow = (): Promise<PrioritisationOutcome[]> => {
    running = running.then(run, run);
    return running;
  };

  if (sources.length > 0) void refreshNow();
  return {
    refreshNow,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running.catch(() => undefined);
    },
  };
}

/**
 * The sources due for an import by their stored attempt times: never tried, tried longer
 * than the refresh interval ago, or failed longer than the retry delay ago. For processes
 * that live one cycle, which keep no timer: every cycle would otherwise ask each source.
 */
export async function dueSources(db: PrioritisationDb, sources: readonly PrioritisationSource[], now: number, intervalMs = DEFAULT_PRIORITISATION_REFRESH_MS): Promise<PrioritisationSource[]> {
  if (sources.length === 0) return [];
  const rows = await db
    .selectFrom('enrichment_sources')
    .select(['source', 'attempted_at', 'error'])
    .where('source', 'in', sources.map((source) => source.location))
    .execute();
  const attempts = new Map(rows.map((row) => [row.source, row]));
  return sources.filter((source) => {
    const attempt = attempts.get(source.location);
    if (!attempt || attempt.attempted_at === null) return true;
    return now - Number(attempt.attempted_at) >= (attempt.error === null ? intervalMs : RETRY_MS);
  });
}
