import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

export interface SuppressionExpiryOptions {
  store: Pick<Store, 'nextSuppressionExpiry' | 'expireSuppressions' | 'onChange'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  /**
   * The longest sleep: a bound on how late an expiry can be applied if the wall clock
   * jumps, or another process adds a suppression without this one hearing of it.
   */
  maxSleepMs?: number;
}

export interface SuppressionExpiry {
  /** Looks again for the next expiry (after a change, or when a test moves its clock). */
  wake(): void;
  stop(): Promise<void>;
}

const DEFAULT_MAX_SLEEP_MS = 60_000;
const RETRY_MS = 5_000;

/**
 * Applies each suppression's expiry at its time: sleeps until the earliest one, expires
 * what is due (its findings count again, `suppression.expired` events, in one transaction)
 * and sleeps again. Every store change wakes it, since it may have added an earlier expiry.
 */
export function startSuppressionExpiry(options: SuppressionExpiryOptions): SuppressionExpiry {
  const { store, clock, logger } = options;
  const maxSleepMs = options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let queued = false;
  let running: Promise<void> = Promise.resolve();

  function sleep(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(wake, Math.max(0, ms));
    timer.unref();
  }

  async function pass(): Promise<void> {
    queued = false;
    if (stopped) return;
    try {
      const next = await store.nextSuppressionExpiry();
      const now = clock.now();
      if (next !== null && next.getTime() <= now.getTime()) {
        const expired = await store.expireSuppressions(now);
        if (expired > 0) logger.info({ expired }, 'suppressions expired');
        // The write wakes this again, which finds the next expiry.
        return;
      }
      sleep(next === null ? maxSleepMs : Math.min(maxSleepMs, next.getTime() - now.getTime()));
    } catch (err) {
      logger.warn({ err }, 'suppression expiry failed');
      sleep(RETRY_MS);
    }
  }

  function wake(): void {
    if (stopped || queued) return;
    queued = true;
    running = running.then(pass);
  }

  const unsubscribe = store.onChange(wake);
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await running;
    },
  };
}
