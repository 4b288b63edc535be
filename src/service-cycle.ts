import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { configuredSources, importPrioritisationSources } from './prioritisation/prioritisation-import.js';
import { dueSources } from './prioritisation/prioritisation-refresh.js';
import {
  checkServiceFiles,
  createReleasers,
  createServiceNotifier,
  createServiceScheduler,
  openServiceCore,
  type ServiceDeps,
  startServiceRetention,
  type ServiceCore,
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
 * commits queued, prunes the event log. Before the scans it expires the suppressions due
 * and imports the KEV, EPSS and NVD sources, so that a deployment of cycles alone
 * prioritises and un-suppresses as long-running processes do. Work not finished when its share of `budgetMs`
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
    await expireDueSuppressions(core, deps.logger);
    await refreshPrioritisation(config, core, deps.logger, scanSignal);
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

/** Expires every suppression whose time has come; a later cycle applies later expiries. */
async function expireDueSuppressions(core: ServiceCore, logger: Logger): Promise<void> {
  const expired = await core.store.expireSuppressions(core.clock.now());
  if (expired > 0) logger.child({ part: 'suppressions' }).info({ expired }, 'suppressions expired');
}

/**
 * Imports the prioritisation sources that are due (by their stored attempt times, as the
 * long-running refresh schedules them) within the scan share. A source that fails keeps its
 * data and is tried again after the retry delay; at the deadline the scans that follow stop too.
 */
async function refreshPrioritisation(config: Readonly<Config>, core: ServiceCore, logger: Logger, signal: AbortSignal): Promise<void> {
  const log = logger.child({ part: 'prioritisation' });
  try {
    const sources = await dueSources(core.db, configuredSources(config), core.clock.now().getTime());
    if (sources.length === 0) return;
    await importPrioritisationSources(core.db, sources, { signal, log, now: () => core.clock.now().getTime() });
  } catch (err) {
    if (signal.aborted) return;
    log.error({ err }, 'prioritisation refresh failed');
  }
}
