import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../../clock.js';
import { createLimiter } from '../../../scheduler/limiter.js';
import type { ImageResult, Store } from '../../../store/store.js';
import type { Database } from '../../../store/tables.js';
import { type AffectedImage, affectedDigests, affectedImages } from './affected-images.js';
import { indexPendingInventories } from '../inventory-cache.js';
import { claimChanges, finishChanges, postponeChanges, scanRunningSince } from './change-queue.js';
import type { StoredMatch } from './stored-match.js';

/**
 * Re-matches stored inventories as soon as an advisory import changes what they match:
 * claims the recorded changes, finds the affected digests through the package index, and
 * commits each affected configuration's images, and only those, through the scan commit
 * (firstSeen kept, vanished findings closed, events written). Each configuration is done
 * under its scan lease, so a re-match and a scan of it never overlap: one whose lease is
 * held waits, and the changes are claimed again shortly after. Changes are finished only
 * once no scan that began before them still runs: such a scan may commit what it matched
 * against the older data, or digests the index did not yet lead to.
 */

const CLOCK_SKEW_MS = 5_000;

export interface RematcherOptions {
  store: Pick<Store, 'getConfig' | 'leaseConfig' | 'releaseLease' | 'commitScan'>;
  db: Kysely<Database>;
  match: StoredMatch;
  /** The scanner id whose configurations are re-matched, and the label its results carry. */
  scanner: string;
  scannerLabel: string;
  clock: Clock;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Configurations re-matched at once (the service's concurrency setting). */
  concurrency: number;
  leaseMs: number;
  /** How often to look for changes other processes recorded; default 2 s. */
  pollMs?: number;
  /** How soon changes whose configuration was busy are tried again; default 2 s. */
  retryMs?: number;
  /** Changes claimed together; default 20. */
  batch?: number;
  owner?: string;
}

export interface RematchReport {
  /** Changes claimed and finished. */
  changes: number;
  /** Configurations re-matched (those where nothing changed are not written). */
  configurations: number;
  /** Images re-matched. */
  images: number;
  /** Configurations left for a later attempt because a scan held them (or a scan that began before the change still runs). */
  busy: number;
}

export interface Rematcher {
  start(): void;
  /** Stops polling and waits for the re-match in progress. */
  stop(): Promise<void>;
  /** Looks for changes now (an import just committed). */
  wake(): void;
  /** Claims and re-matches pending changes until none is left for this process now; for tests and benchmarks. */
  runPending(): Promise<RematchReport>;
  readonly owner: string;
}

export function createRematcher(options: RematcherOptions): Rematcher {
  const owner = options.owner ?? `rematch:${randomUUID().slice(0, 8)}`;
  const limiter = createLimiter(options.concurrency);
  const pollMs = options.pollMs ?? 2000;
  const retryMs = options.retryMs ?? 2000;
  const batch = options.batch ?? 20;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let running: Promise<unknown> | null = null;

  /** One claim: every change claimed is finished, or postponed when a configuration was busy. */
  async function runOnce(report: RematchReport): Promise<boolean> {
    const now = options.clock.now().getTime();
    const claimed = await claimChanges(options.db, owner, now, options.leaseMs, batch);
    if (claimed.ids.length === 0) return false;
    // Inventories stored since the last look are indexed first, so that none is missed.
    await indexPendingInventories(options.db);
    const digests = await affectedDigests(options.db, claimed.packages);
    const byConfig = await affectedImages(options.db, options.scanner, digests);
    const withdrawn = claimed.withdrawn;
    const outcomes = await Promise.all([...byConfig].map(([configId, images]) => limiter.run(() => rematchConfig(configId, images, withdrawn))));
    let busy = 0;
    for (const outcome of outcomes) {
      if (outcome === 'busy') busy++;
      else if (outcome > 0) {
        report.configurations++;
        report.images += outcome;
      }
    }
    // Clocks of processes differ a little: a scan that started shortly after the change was
    // recorded is waited for as well.
    if (busy === 0 && (await scanRunningSince(options.db, options.scanner, claimed.recordedAt + CLOCK_SKEW_MS))) busy++;
    report.busy += busy;
    if (busy > 0) await postponeChanges(options.db, claimed.ids, owner, options.clock.now().getTime() + retryMs);
    else {
      await finishChanges(options.db, claimed.ids, owner, options.clock.now().getTime());
      report.changes += claimed.ids.length;
    }
    return busy === 0;
  }

  /** Images committed, or 'busy' when a scan (or another process's re-match) holds the configuration. */
  async function rematchConfig(configId: string, images: AffectedImage[], withdrawn: string[]): Promise<number | 'busy'> {
    const config = await options.store.getConfig(configId);
    if (!config) return 0;
    if (!(await options.store.leaseConfig(configId, owner, options.clock.now(), options.leaseMs))) return 'busy';
    try {
      const results: ImageResult[] = [];
      const byDigest = new Map<string, Awaited<ReturnType<StoredMatch>>>();
      for (const image of images) {
        if (!byDigest.has(image.digest)) byDigest.set(image.digest, await options.match(image.digest, config.platform));
        const outcome = byDigest.get(image.digest) ?? null;
        if (outcome === null) continue;
        results.push({ tag: image.tag, digest: image.digest, scanner: options.scannerLabel, ...outcome, withdrawnAdvisories: withdrawn });
      }
      if (results.length === 0) {
        await options.store.releaseLease(configId, owner);
        return 0;
      }
      const finishedAt = options.clock.now();
      const committed = await options.store.commitScan({
        configId,
        runId: randomUUID(),
        owner,
        finishedAt,
        images: results,
        partialImages: true,
        status: 'COMPLETE',
        error: null,
        nextScanAt: finishedAt,
      });
      return committed ? results.length : 'busy';
    } catch (err) {
      await options.store.releaseLease(configId, owner).catch(() => undefined);
      throw err;
    }
  }

  async function runPending(): Promise<RematchReport> {
    const report: RematchReport = { changes: 0, configurations: 0, images: 0, busy: 0 };
    // A claim that met a busy configuration ends this round: its changes wait for the retry.
    while (await runOnce(report)) {
      // Claim again: more changes may be pending than one batch.
    }
    return report;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) return schedule(pollMs);
      running = runPending()
        .then((report) => {
          if (report.configurations > 0 || report.busy > 0) options.logger?.info({ ...report }, 'advisory re-match finished');
        })
        .catch((err: unknown) => options.logger?.error({ err }, 'advisory re-match failed'))
        .finally(() => {
          running = null;
          schedule(pollMs);
        });
    }, ms);
    timer.unref();
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
      await running;
    },
    wake() {
      schedule(0);
    },
    runPending,
  };
}
