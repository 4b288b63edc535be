import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from './clock.js';
import { type Config, ConfigError } from './config.js';
import { startEventRetention } from './events/event-retention.js';
import { buildApp } from './http/app.js';
import { type Dashboard, defaultDashboardDir, loadDashboard } from './http/dashboard.js';
import { type ApiToken, loadTokens } from './http/tokens.js';
import { createInventoryReader } from './scanners/builtin/inventory-cache.js';
import { missingLocalSources } from './scanners/builtin/osv/osv-importer.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createNotifier, type Notifier } from './notify/notifier.js';
import { createNotifyMetrics, type NotifyMetrics } from './notify/notify-metrics.js';
import { configuredSources } from './prioritisation/prioritisation-import.js';
import { type PrioritisationRefresher, startPrioritisationRefresh } from './prioritisation/prioritisation-refresh.js';
import { createAdvisoryControl } from './scanners/builtin/osv/advisory-control.js';
import { osvDataDir } from './scanners/builtin/osv/osv-data-dir.js';
import type { ScannerSet, ScannerStore } from './scanners/create-scanners.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { openDatabase } from './store/open-store.js';
import { startSuppressionExpiry } from './triage/suppression-expiry.js';
import type { Store } from './store/store.js';
import type { Database } from './store/tables.js';

export interface RunningService {
  store: Store;
  app: FastifyInstance | null;
  scheduler: Scheduler | null;
  /** Where the API listens, when it does. */
  url: string | null;
  /** Releases everything in reverse order of acquisition. */
  close(): Promise<void>;
}

export interface ServiceDeps {
  logger: Logger;
  scanners: (store: ScannerStore) => ScannerSet;
  clock?: Clock;
}

/** What every role of the service shares: the store and its database, metrics, the URL links are built on. */
export interface ServiceCore {
  store: Store;
  db: Kysely<Database>;
  metrics: Metrics;
  notifyMetrics: NotifyMetrics;
  publicUrl: string;
  clock: Clock;
}

/** Releasers of acquired resources, run in reverse order by `close`. */
export interface Releasers {
  push(release: () => Promise<void>): void;
  close(): Promise<void>;
}

export function createReleasers(logger: Logger): Releasers {
  const releasers: Array<() => Promise<void>> = [];
  return {
    push: (release) => void releasers.push(release),
    async close() {
      for (const release of releasers.reverse()) {
        try {
          await release();
        } catch (err) {
          logger.error({ err }, 'shutdown step failed');
        }
      }
      releasers.length = 0;
    },
  };
}

/**
 * Checks the files the configuration names before anything starts, so that a mistake stops
 * here, naming the file; returns the API's tokens (none for a scheduler).
 */
export async function checkServiceFiles(config: Readonly<Config>): Promise<ApiToken[]> {
  const tokens = config.mode === 'scheduler' ? [] : await loadTokens(config);
  if (config.mode !== 'api') {
    const missing = await missingLocalSources(config.osvSources);
    if (missing.length > 0) throw new ConfigError(`ECRSCAN_OSV_SOURCES names ${missing.join(', ')}, which does not exist`);
    const missingPrioritisation = await missingLocalSources(configuredSources(config).map((source) => source.location));
    if (missingPrioritisation.length > 0) {
      throw new ConfigError(`ECRSCAN_KEV_SOURCE, ECRSCAN_EPSS_SOURCE or ECRSCAN_NVD_SOURCES names ${missingPrioritisation.join(', ')}, which does not exist`);
    }
  }
  return tokens;
}

/** Opens the store (migrated) and the metrics every role reports to; the store's close is registered. */
export async function openServiceCore(config: Readonly<Config>, deps: Pick<ServiceDeps, 'logger' | 'clock'>, releasers: Releasers): Promise<ServiceCore> {
  const { store, db } = await openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    logger: deps.logger.child({ part: 'store' }),
  });
  releasers.push(() => store.close());
  const metrics = createMetrics();
  const notifyMetrics = createNotifyMetrics(metrics.registry, () => store.countFailingSubscriptions());
  const publicUrl = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  return { store, db, metrics, notifyMetrics, publicUrl, clock: deps.clock ?? systemClock };
}

/** The scheduler of this configuration, not started: a process starts it, a bounded cycle runs it once. */
export function createServiceScheduler(config: Readonly<Config>, core: ServiceCore, scanners: ScannerSet, logger: Logger): Scheduler {
  return createScheduler({
    store: core.store,
    scanners: scanners.scanners,
    clock: core.clock,
    logger: logger.child({ part: 'scheduler' }),
    metrics: core.metrics,
    concurrency: config.concurrency,
    leaseMs: config.leaseSeconds * 1000,
    defaultSchedule: config.schedule,
    ...(config.registryConcurrency === null ? {} : { registryShare: config.registryConcurrency }),
    maxImages: config.maxImages,
    scanTimeoutMs: config.scanTimeoutMinutes * 60_000,
  });
}

/** The webhook delivery worker of this configuration, not started. */
export function createServiceNotifier(config: Readonly<Config>, core: ServiceCore, logger: Logger): Notifier {
  return createNotifier({
    store: core.store,
    clock: core.clock,
    logger: logger.child({ part: 'notify' }),
    metrics: core.notifyMetrics,
    publicUrl: core.publicUrl,
    allowPrivate: config.webhookAllowPrivate,
    timeoutMs: config.webhookTimeoutMs,
  });
}

/** Keeps the event log within its retention; returns the releaser that stops it. */
export function startServiceRetention(config: Readonly<Config>, core: ServiceCore, logger: Logger): () => Promise<void> {
  return startEventRetention({ store: core.store, clock: core.clock, logger: logger.child({ part: 'events' }), retentionMs: config.eventRetentionMs });
}

/** What this process runs beside the API, for the API to nudge; each may be absent (an API-only process). */
export interface ServiceWorkers {
  scanners: ScannerSet | null;
  scheduler: Scheduler | null;
  notifier: Notifier | null;
  prioritisation: PrioritisationRefresher | null;
}

/** The HTTP API over the core, not listening: a process listens, a Lambda function hands it events. */
export async function buildServiceApp(
  config: Readonly<Config>,
  core: ServiceCore,
  tokens: ApiToken[],
  workers: ServiceWorkers,
  logger: Logger,
  dashboard: Dashboard | null = null,
): Promise<FastifyInstance> {
  const { store, db, metrics, clock, publicUrl } = core;
  const { scanners, scheduler, notifier, prioritisation } = workers;
  const notifications = { allowPrivate: config.webhookAllowPrivate, publicUrl, wake: () => notifier?.wake() };
  const advisories = createAdvisoryControl({
    db,
    sources: config.osvSources,
    maxAgeMs: config.advisoryMaxAgeMs,
    clock,
    dataDir: osvDataDir(config.databaseUrl),
    refreshNow: () => scanners?.importAdvisories?.() ?? null,
    prioritisation: configuredSources(config),
    refreshPrioritisationNow: () => prioritisation?.refreshNow() ?? null,
    log: logger.child({ part: 'osv' }),
  });
  const inventories = createInventoryReader(db);
  return buildApp({ store, config, tokens, logger, metrics, clock, notifications, advisories, dashboard, inventories, ...(scheduler ? { scans: scheduler } : {}) });
}

/**
 * config → store → scheduler → http. Every acquired resource registers its releaser,
 * and `close` runs them in reverse, so a failure half-way through start-up still
 * releases what was acquired.
 */
export async function startService(config: Readonly<Config>, deps: ServiceDeps): Promise<RunningService> {
  const releasers = createReleasers(deps.logger);
  const tokens = await checkServiceFiles(config);
  try {
    const core = await openServiceCore(config, deps, releasers);
    const workers: ServiceWorkers = { scanners: null, scheduler: null, notifier: null, prioritisation: null };
    if (config.mode !== 'api') {
      // KEV, EPSS and NVD data concern every scanner's findings, not only the built-in one's.
      const prioritisation = startPrioritisationRefresh(core.db, configuredSources(config), { log: deps.logger.child({ part: 'prioritisation' }) });
      workers.prioritisation = prioritisation;
      releasers.push(() => prioritisation.stop());
      const scanners = deps.scanners({ ...core.store, database: core.db });
      workers.scanners = scanners;
      releasers.push(() => scanners.close());
      releasers.push(scanners.startRefresh());
      const scheduler = createServiceScheduler(config, core, scanners, deps.logger);
      workers.scheduler = scheduler;
      scheduler.start();
      releasers.push(() => scheduler.stop());
      releasers.push(startServiceRetention(config, core, deps.logger));
      const expiry = startSuppressionExpiry({ store: core.store, clock: core.clock, logger: deps.logger.child({ part: 'suppressions' }) });
      releasers.push(() => expiry.stop());
      // Webhooks are delivered by the processes that scan: API-only processes stay request-bound.
      const notifier = createServiceNotifier(config, core, deps.logger);
      workers.notifier = notifier;
      notifier.start();
      releasers.push(() => notifier.stop());
    }
    let app: FastifyInstance | null = null;
    let url: string | null = null;
    if (config.mode !== 'scheduler') {
      const dashboardDir = defaultDashboardDir();
      const dashboard = loadDashboard(dashboardDir);
      if (!dashboard) deps.logger.warn({ dir: dashboardDir }, 'web dashboard not built (npm run build); serving the API alone');
      const built = await buildServiceApp(config, core, tokens, workers, deps.logger, dashboard);
      app = built;
      // Fastify's close drains in-flight requests before it resolves.
      releasers.push(() => built.close());
      url = await built.listen({ host: config.host, port: config.port });
    }
    return { store: core.store, app, scheduler: workers.scheduler, url, close: () => releasers.close() };
  } catch (err) {
    await releasers.close();
    throw err;
  }
}
