import type { Logger } from 'pino';
import type { AdvisoryDb } from './advisory-store.js';
import { type ImportOptions, importOsvSources, type SourceOutcome } from './osv-importer.js';

/**
 * Keeps the advisory store current: imports every source now, then again on a schedule.
 * Unchanged sources cost a conditional request (URLs) or a stat (local zips).
 */

// osv.dev rebuilds its zips several times a day; six hours keeps findings within a day's
// scan of the data while a 304 costs next to nothing.
export const DEFAULT_OSV_REFRESH_MS = 6 * 60 * 60 * 1000;
// After a failure another host may recover from (5xx, 429, a broken connection).
export const DEFAULT_OSV_RETRY_MS = 5 * 60 * 1000;

export interface RefreshOptions extends Omit<ImportOptions, 'signal' | 'log'> {
  intervalMs?: number;
  retryMs?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told after every import, once its records are committed (the re-match wakes on it). */
  onImported?: (outcomes: SourceOutcome[]) => void;
}

export interface OsvRefresher {
  /** Runs an import now (after any import in progress) and returns its outcomes. */
  refreshNow(): Promise<SourceOutcome[]>;
  /** The import in progress, or a new one when none is: for a scan that needs the data now. */
  importSoon(): Promise<SourceOutcome[]>;
  /** Cancels the schedule and any import in progress; resolves once it has stopped. */
  stop(): Promise<void>;
}

export function startOsvRefresh(db: AdvisoryDb, sources: readonly string[], options: RefreshOptions): OsvRefresher {
  const intervalMs = options.intervalMs ?? DEFAULT_OSV_REFRESH_MS;
  const retryMs = options.retryMs ?? DEFAULT_OSV_RETRY_MS;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<SourceOutcome[]> = Promise.resolve([]);
  let stopped = false;
  /** Imports asked for and not yet finished, whether running or queued behind one. */
  let pending = 0;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void refreshNow(), delayMs);
    timer.unref();
  };

  const run = async (): Promise<SourceOutcome[]> => {
    if (timer) clearTimeout(timer);
    try {
      const outcomes = await importOsvSources(db, sources, { ...options, signal: abort.signal, log: options.log });
      options.onImported?.(outcomes);
      schedule(outcomes.some((outcome) => !outcome.ok && outcome.retryable) ? retryMs : intervalMs);
      return outcomes;
    } catch (error) {
      if (abort.signal.aborted) return [];
      options.log?.error({ err: error }, 'osv refresh failed');
      schedule(retryMs);
      return [];
    } finally {
      pending--;
    }
  };

  const refreshNow = (): Promise<SourceOutcome[]> => {
    pending++;
    running = running.then(run, run);
    return running;
  };

  void refreshNow();
  return {
    refreshNow,
    // On a first start the scheduler's first scans arrive while the start-up import runs:
    // they wait for it rather than queue a second one.
    importSoon: () => (pending > 0 ? running : refreshNow()),
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running.catch(() => undefined);
    },
  };
}
