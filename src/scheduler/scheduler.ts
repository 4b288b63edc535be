import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { nextRunAfter, type ScanConfig } from '../domain/scan-config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ScannerRegistry } from '../scanners/registry.js';
import type { ClaimedScan, ScanResult, Store } from '../store/store.js';
import { createLimiter } from './limiter.js';
import { progressWriter } from './progress-writer.js';
import { scanConfiguration } from './scan-job.js';

export interface SchedulerOptions {
  store: Store;
  scanners: ScannerRegistry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Images (and listings) in flight at once across all configurations. */
  concurrency: number;
  leaseMs: number;
  /** Schedule of configurations that name none. */
  defaultSchedule: string;
  /** How often to look for due work that no wake-up announced (other processes, expired leases). */
  pollMs?: number;
  /** Identifies this process's leases; unique per process. */
  owner?: string;
  /** Of `concurrency`, the slots one registry may hold at once (default: all but one, at least one). */
  registryShare?: number;
  /** Longest a configuration's scan may take before it ends as FAILED (default: an hour). */
  scanTimeoutMs?: number;
  /** Images one configuration may scan in a run (default 1,000). */
  maxImages?: number;
}

export interface Scheduler {
  start(): void;
  /** Stops claiming, aborts scans in flight, waits for them and gives their leases back. */
  stop(): Promise<void>;
  /** Looks for due work now (a configuration was created or a scan requested). */
  wake(): void;
  /** Aborts the running scan of a configuration (it was deleted). */
  cancel(configId: string): void;
  /**
   * Claims and finishes every scan due now (tests and benchmarks that drive a clock, a
   * bounded cycle). When `signal` aborts it stops claiming, stops the scans in flight
   * uncommitted and gives their leases back, so that the next run takes them at once.
   * Returns the scans claimed.
   */
  runDue(signal?: AbortSignal): Promise<number>;
  readonly owner: string;
}

// Failed scans are retried sooner than a long schedule would, but not in a tight loop.
const RETRY_FAILED_MS = 15 * 60_000;
// Jitter spreads configurations sharing a schedule: up to 10 % of the interval, at most 10 minutes.
const MAX_JITTER_MS = 10 * 60_000;
export const DEFAULT_SCAN_TIMEOUT_MS = 60 * 60_000;
export const DEFAULT_MAX_IMAGES = 1000;

/**
 * All slots but one: a registry that stalls every request still leaves a slot to the
 * others, while a service scanning one registry loses as little as possible.
 */
export function defaultRegistryShare(concurrency: number): number {
  return Math.max(1, concurrency - 1);
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, clock, logger, metrics } = options;
  // Host and pid in the owner tell an operator which process holds a lease.
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const limiter = createLimiter(options.concurrency, options.registryShare ?? defaultRegistryShare(options.concurrency));
  const scanTimeoutMs = options.scanTimeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
  const maxImages = options.maxImages ?? DEFAULT_MAX_IMAGES;
  const pollMs = options.pollMs ?? 5000;
  // Enough configurations in flight that the image limiter never idles while one finishes.
  const maxConfigs = options.concurrency * 2;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;

  async function claim(): Promise<ClaimedScan[]> {
    const room = maxConfigs - running.size;
    if (room <= 0) return [];
    return store.claimDueScans(owner, clock.now(), options.leaseMs, room);
  }

  function launch(claimed: ClaimedScan): Promise<void> {
    const controller = new AbortController();
    const done = runScan(claimed, controller).finally(() => {
      running.delete(claimed.config.id);
      if (!stopped) schedule(0);
    });
    running.set(claimed.config.id, { controller, done });
    return done;
  }

  async function runScan(claimed: ClaimedScan, controller: AbortController): Promise<void> {
    const { config, runId } = claimed;
    const scanner = options.scanners[config.scanner];
    const started = performance.now();
    const renewal = keepLease(config.id, controller);
    // The scan's own deadline ends it as FAILED; the controller (shutdown, deletion, a lost lease) only stops it.
    const deadline = AbortSignal.timeout(scanTimeoutMs);
    const signal = AbortSignal.any([controller.signal, deadline]);
    try {
      let outcome: Pick<ScanResult, 'images' | 'status' | 'error'>;
      try {
        const onProgress = progressWriter(store, config.id, owner, logger);
        outcome = await scanConfiguration({ clock, logger, metrics, limiter, maxImages }, scanner, config, signal, onProgress);
      } catch (err) {
        if (controller.signal.aborted || !deadline.aborted) throw err;
        const limit = scanTimeoutMs >= 60_000 ? `${Math.round(scanTimeoutMs / 60_000)} minutes` : `${scanTimeoutMs} ms`;
        outcome = { images: null, status: 'FAILED', error: `the scan took longer than its deadline of ${limit} (ECRSCAN_SCAN_TIMEOUT_MINUTES) and was stopped` };
      }
      controller.signal.throwIfAborted();
      const finishedAt = clock.now();
      const result: ScanResult = { configId: config.id, runId, owner, finishedAt, ...outcome, nextScanAt: nextScanAt(config, finishedAt, outcome.status) };
      const committed = await commitOrFail(result);
      if (!committed) {
        logger.warn({ configId: config.id, runId }, 'scan result dropped: lease lost or configuration deleted');
        return;
      }
      metrics.scans.inc({ scanner: scanner.id, outcome: committed.status });
      metrics.scanDuration.observe({ scanner: scanner.id }, (performance.now() - started) / 1000);
      logger.info({ configId: config.id, runId, status: committed.status, images: committed.images?.length ?? 0 }, 'scan finished');
    } catch (err) {
      if (controller.signal.aborted) logger.info({ configId: config.id, runId }, 'scan cancelled');
      else logger.error({ err, configId: config.id, runId }, 'scan crashed');
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * Commits a result; when that fails (a database error, a result the database refuses),
   * commits in its place a FAILED run that says why and leaves the images as they were,
   * so that the configuration shows the error instead of staying SCANNING and being
   * scanned again at every lease expiry. Returns what was committed, or null when the
   * lease was gone.
   */
  async function commitOrFail(result: ScanResult): Promise<ScanResult | null> {
    try {
      return (await store.commitScan(result)) ? result : null;
    } catch (err) {
      logger.error({ err, configId: result.configId, runId: result.runId }, 'scan result could not be stored');
      const reason = err instanceof Error ? err.message : String(err);
      const failed: ScanResult = {
        ...result,
        images: null,
        status: 'FAILED',
        error: `the scan's results could not be stored: ${reason.slice(0, 300)}`,
        nextScanAt: retryAt(result.finishedAt, result.nextScanAt),
      };
      return (await store.commitScan(failed)) ? failed : null;
    }
  }

  /** Renews the lease at a third of its length; a refused renewal means another owner has the work. */
  function keepLease(configId: string, controller: AbortController): NodeJS.Timeout {
    const timer = setInterval(() => {
      store
        .renewLease(configId, owner, new Date(clock.now().getTime() + options.leaseMs))
        .then((held) => {
          if (!held) controller.abort(new Error('lease lost'));
        })
        .catch((err: unknown) => logger.warn({ err, configId }, 'lease renewal failed'));
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    timer.unref();
    return timer;
  }

  /**
   * When the configuration is next due. A schedule stored before the rules of today (a
   * duration past what a date holds) falls back to the retry delay rather than failing the
   * commit.
   */
  function nextScanAt(config: ScanConfig, finishedAt: Date, status: ScanResult['status']): Date {
    let regular: Date;
    try {
      regular = nextRunAfter(config.schedule ?? options.defaultSchedule, finishedAt);
    } catch {
      return retryAt(finishedAt, null);
    }
    if (Number.isNaN(regular.getTime())) return retryAt(finishedAt, null);
    const interval = Math.max(0, regular.getTime() - finishedAt.getTime());
    const planned = new Date(regular.getTime() + jitterOf(config.id, interval));
    if (status !== 'FAILED' && !Number.isNaN(planned.getTime())) return planned;
    return retryAt(finishedAt, planned);
  }

  async function tick(): Promise<void> {
    try {
      for (const claimed of await claim()) void launch(claimed);
      const due = await store.nextDueAt();
      const wait = due === null ? pollMs : Math.min(pollMs, Math.max(0, due.getTime() - clock.now().getTime()));
      schedule(Math.max(wait, 50));
    } catch (err) {
      logger.error({ err }, 'looking for due scans failed');
      schedule(pollMs);
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      ticking ??= tick().finally(() => {
        ticking = null;
      });
    }, ms);
  }

  return {
    owner,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      for (const { controller } of running.values()) controller.abort(new Error('shutting down'));
      await Promise.allSettled([...running.values()].map((scan) => scan.done));
      await store.releaseLeases(owner, clock.now());
    },
    wake() {
      schedule(0);
    },
    cancel(configId) {
      running.get(configId)?.controller.abort(new Error('configuration deleted'));
    },
    async runDue(signal) {
      let total = 0;
      const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
      while (!signal?.aborted) {
        const claimed = await claim();
        if (claimed.length === 0 && running.size === 0) return total;
        total += claimed.length;
        claimed.forEach(launch);
        await Promise.race([...[...running.values()].map((scan) => scan.done), aborted]);
      }
      for (const { controller } of running.values()) controller.abort(new Error('the run reached its deadline'));
      await Promise.allSettled([...running.values()].map((scan) => scan.done));
      await store.releaseLeases(owner, clock.now());
      return total;
    },
  };
}

/** The retry delay after a failed run, or `planned` when that comes sooner. */
function retryAt(finishedAt: Date, planned: Date | null): Date {
  const retry = finishedAt.getTime() + RETRY_FAILED_MS;
  const at = planned?.getTime() ?? Number.NaN;
  return new Date(Number.isFinite(at) ? Math.min(at, retry) : retry);
}

function jitterOf(configId: string, intervalMs: number): number {
  const fraction = createHash('sha256').update(configId).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor(fraction * Math.min(intervalMs * 0.1, MAX_JITTER_MS));
}
