import type { Config } from './config.js';
import {
  checkServiceFiles,
  createReleasers,
  createServiceNotifier,
  createServiceScheduler,
  openServiceCore,
  type ServiceDeps,
  startServiceRetention,
} from './server.js';

export interface CycleReport {
  /** Scans claimed in this cycle, finished or, at the deadline, given back. */
  scans: number;
  /** The cycle stopped work at its deadline: what was left is taken by the next cycle. */
  cutShort: boolean;
  durationMs: number;
}

// Of a cycle's time: advisories and scans end by 70 %, deliveries by 85 %; the rest is
// for giving leases back and closing the store, so that the cycle returns in time.
const SCAN_SHARE = 0.7;
const DELIVERY_SHARE = 0.85;

/**
 * One bounded pass of everything the scheduler role does, for a process that lives one
 * cycle (a scheduled function): imports advisories when due and re-matches, claims the
 * scans due now under the usual leases and runs them, delivers the notifications their
 * commits queued, prunes the event log. Work not finished when its share of `budgetMs`
 * runs out is stopped uncommitted and its leases given back; work of a process that
 * died is taken over when its leases expire, as between long-running processes.
 */
export async function runServiceCycle(config: Readonly<Config>, deps: ServiceDeps, budgetMs: number): Promise<CycleReport> {
  const started = performance.now();
  const releasers = createReleasers(deps.logger);
  await checkServiceFiles(config);
  try {
    const core = await openServiceCore(config, deps, releasers);
    const scanners = deps.scanners({ ...core.store, database: core.db });
    releasers.push(() => scanners.close());
    const remaining = (share: number): number => Math.max(0, Math.floor(budgetMs * share - (performance.now() - started)));
    const scanSignal = AbortSignal.timeout(remaining(SCAN_SHARE));
    // The event log is pruned beside the rest, until the cycle closes.
    releasers.push(startServiceRetention(config, core, deps.logger));
    await scanners.refreshDue(scanSignal);
    const scheduler = createServiceScheduler(config, core, scanners, deps.logger);
    const scans = await scheduler.runDue(scanSignal);
    const notifier = createServiceNotifier(config, core, deps.logger);
    const deliverySignal = AbortSignal.timeout(remaining(DELIVERY_SHARE));
    await notifier.runPending(deliverySignal);
    return { scans, cutShort: scanSignal.aborted || deliverySignal.aborted, durationMs: Math.round(performance.now() - started) };
  } finally {
    await releasers.close();
  }
}
