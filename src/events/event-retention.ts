import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

export interface EventRetentionOptions {
  store: Pick<Store, 'pruneEvents'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Events older than this are deleted. */
  retentionMs: number;
  /** Between two pruning passes; the first runs at start. */
  intervalMs?: number;
  /** Events deleted per statement, so that a long backlog never holds the database for long. */
  batch?: number;
}

const HOUR_MS = 3_600_000;
const DEFAULT_BATCH = 1_000;

/**
 * Keeps the event log within its retention: a pass at start and one every hour, each
 * deleting old events a batch at a time until none is left. Returns the releaser that
 * stops it (waiting for a pass under way).
 */
export function startEventRetention(options: EventRetentionOptions): () => Promise<void> {
  const batch = options.batch ?? DEFAULT_BATCH;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function pass(): Promise<void> {
    const before = new Date(options.clock.now().getTime() - options.retentionMs);
    let pruned = 0;
    try {
      for (;;) {
        const deleted = await options.store.pruneEvents(before, batch);
        pruned += deleted;
        if (deleted < batch || stopped) break;
      }
      if (pruned > 0) options.logger.info({ pruned, before }, 'events pruned');
    } catch (err) {
      options.logger.warn({ err }, 'event pruning failed');
    }
  }

  running = pass();
  const timer = setInterval(() => {
    running = running.then(pass);
  }, options.intervalMs ?? HOUR_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
