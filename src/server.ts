import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from './clock.js';
import { type Config, ConfigError } from './config.js';
import { startEventRetention } from './events/event-retention.js';
import { buildApp } from './http/app.js';
import { defaultDashboardDir, loadDashboard } from './http/dashboard.js';
import { loadTokens } from './http/tokens.js';
import { missingLocalSources } from './scanners/builtin/osv/osv-importer.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createNotifier, type Notifier } from './notify/notifier.js';
import { createNotifyMetrics } from './notify/notify-metrics.js';
import { createAdvisoryControl } from './scanners/builtin/osv/advisory-control.js';
import { osvDataDir, type ScannerSet, type ScannerStore } from './scanners/create-scanners.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { openDatabase } from './store/open-store.js';
import type { Store } from './store/store.js';

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

/**
 * config → store → scheduler → http. Every acquired resource registers its releaser,
 * and `close` runs them in reverse, so a failure half-way through start-up still
 * releases what was acquired.
 */
export async function startService(config: Readonly<Config>, deps: ServiceDeps): Promise<RunningService> {
  const clock = deps.clock ?? systemClock;
  const releasers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const release of releasers.reverse()) {
      try {
        await release();
      } catch (err) {
        deps.logger.error({ err }, 'shutdown step failed');
      }
    }
    releasers.length = 0;
  };
  // Files the configuration names are checked before anything starts: a mistake stops here, naming the file.
  const tokens = config.mode === 'scheduler' ? [] : await loadTokens(config);
  if (config.mode !== 'api') {
    const missing = await missingLocalSources(config.osvSources);
    if (missing.length > 0) throw new ConfigError(`ECRSCAN_OSV_SOURCES names ${missing.join(', ')}, which does not exist`);
  }
  try {
    const { store, db } = await openDatabase(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      logger: deps.logger.child({ part: 'store' }),
    });
    releasers.push(() => store.close());
    const metrics = createMetrics();
    const notifyMetrics = createNotifyMetrics(metrics.registry, () => store.countFailingSubscriptions());
    const publicUrl = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    let scheduler: Scheduler | null = null;
    let notifier: Notifier | null = null;
    let scanners: ScannerSet | null = null;
    if (config.mode !== 'api') {
      scanners = deps.scanners({ ...store, database: db });
      const started = scanners;
      releasers.push(() => started.close());
      releasers.push(started.startRefresh());
      scheduler = createScheduler({
        store,
        scanners: scanners.scanners,
        clock,
        logger: deps.logger.child({ part: 'scheduler' }),
        metrics,
        concurrency: config.concurrency,
        leaseMs: config.leaseSeconds * 1000,
        defaultSchedule: config.schedule,
        ...(config.registryConcurrency === null ? {} : { registryShare: config.registryConcurrency }),
        maxImages: config.maxImages,
        scanTimeoutMs: config.scanTimeoutMinutes * 60_000,
      });
      scheduler.start();
      const running = scheduler;
      releasers.push(() => running.stop());
      releasers.push(
        startEventRetention({ store, clock, logger: deps.logger.child({ part: 'events' }), retentionMs: config.eventRetentionMs }),
      );
      // Webhooks are delivered by the processes that scan: API-only processes stay request-bound.
      notifier = createNotifier({
        store,
        clock,
        logger: deps.logger.child({ part: 'notify' }),
        metrics: notifyMetrics,
        publicUrl,
        allowPrivate: config.webhookAllowPrivate,
        timeoutMs: config.webhookTimeoutMs,
      });
      notifier.start();
      const delivering = notifier;
      releasers.push(() => delivering.stop());
    }
    const notifications = { allowPrivate: config.webhookAllowPrivate, publicUrl, wake: () => notifier?.wake() };
    let app: FastifyInstance | null = null;
    let url: string | null = null;
    if (config.mode !== 'scheduler') {
      const withScanners = scanners;
      const advisories = createAdvisoryControl({
        db,
        sources: config.osvSources,
        maxAgeMs: config.advisoryMaxAgeMs,
        clock,
        dataDir: osvDataDir(config.databaseUrl),
        refreshNow: () => withScanners?.importAdvisories?.() ?? null,
        log: deps.logger.child({ part: 'osv' }),
      });
      const dashboard = loadDashboard(defaultDashboardDir());
      if (!dashboard) deps.logger.warn({ dir: defaultDashboardDir() }, 'web dashboard not built (npm run build); serving the API alone');
      app = await buildApp({
        store,
        config,
        tokens,
        logger: deps.logger,
        metrics,
        clock,
        notifications,
        advisories,
        dashboard,
        ...(scheduler ? { scans: scheduler } : {}),
      });
      const built = app;
      // Fastify's close drains in-flight requests before it resolves.
      releasers.push(() => built.close());
      url = await app.listen({ host: config.host, port: config.port });
    }
    return { store, app, scheduler, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
