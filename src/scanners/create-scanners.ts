import type { Kysely } from 'kysely';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { Database } from '../store/tables.js';
import { createAdvisoryReadiness } from './builtin/advisory-readiness.js';
import { PACKAGE_ANALYSERS } from './builtin/analysers/registry.js';
import { createAnalysisPool } from './builtin/analysis/analysis-pool.js';
import { BUILTIN_SCANNER_ID, BUILTIN_SCANNER_VERSION, createBuiltinScanner } from './builtin/builtin-scanner.js';
import { createAdvisoryLookup } from './builtin/osv/advisory-store.js';
import { osvDataDir } from './builtin/osv/osv-data-dir.js';
import { osvImportDue } from './builtin/osv/osv-due.js';
import { importOsvSources, type SourceOutcome } from './builtin/osv/osv-importer.js';
import { type OsvRefresher, startOsvRefresh } from './builtin/osv/osv-refresh.js';
import { createRematcher, type Rematcher } from './builtin/rematch/rematcher.js';
import { createStoredMatch } from './builtin/rematch/stored-match.js';
import { defaultCredentialSource, envRealmPins } from './builtin/registry/credentials.js';
import { startBudgetShare } from './budget-share.js';
import { createEcrScanner } from './ecr/ecr-scanner.js';
import { createRequestBudget, type HostLimits } from './request-budget.js';
import type { ScannerRegistry } from './registry.js';

/** The store, with the database it runs on: scanners keep tables of their own there (inventories, advisories). */
export interface ScannerStore extends Store {
  readonly database: Kysely<Database>;
}

export interface ScannerDeps {
  store: ScannerStore;
  config: Readonly<Config>;
  logger: Logger;
}

export interface ScannerSet {
  scanners: ScannerRegistry;
  /**
   * Starts keeping the scanners' data current: the built-in scanner's OSV import, now and
   * then on a schedule. Returns its stop. Failures are logged, never thrown.
   */
  startRefresh(): () => Promise<void>;
  /**
   * What `startRefresh` keeps current, done once, for a process that lives one cycle: the
   * OSV import when the stored import times say it is due, then the re-match of recorded
   * advisory changes. Failures are logged, never thrown.
   */
  refreshDue(signal: AbortSignal): Promise<void>;
  /** An advisory import now by the running refresh; null when none runs (not started, or no sources). */
  importAdvisories?(): Promise<SourceOutcome[]> | null;
  /** Closes clients and caches the scanners hold. */
  close(): Promise<void>;
}

/** The scanners of a running service, by the id a configuration names. */
export function createScanners(deps: ScannerDeps): ScannerSet {
  const { config, logger } = deps;
  const db = deps.store.database;
  const share = startBudgetShare(() => deps.store.leaseHolders(new Date()), logger);
  const defaults: HostLimits = { rps: config.registryRps, connections: config.registryConnections };
  // One budget for both scanners and every configuration: a host's limits hold whoever asks.
  const budget = createRequestBudget({ limitsFor: (host) => config.registryLimits[host.toLowerCase()] ?? defaults, share: share.current });
  const ecr = createEcrScanner({ logger: logger.child({ scanner: 'ecr' }), budget });
  let refresher: OsvRefresher | null = null;
  const builtinLog = logger.child({ scanner: 'builtin' });
  // One worker per image scanned at once: the scheduler already bounds those to ECRSCAN_CONCURRENCY.
  const analysis = createAnalysisPool({ size: config.concurrency, memoryMb: config.imageMemoryMb });
  const builtin = createBuiltinScanner({
    db,
    analysis,
    registry: {
      insecureHosts: config.insecureRegistries,
      credentials: defaultCredentialSource(),
      allowedRealms: envRealmPins(process.env),
      log: builtinLog,
      budget,
      timeouts: {
        requestMs: config.registryTimeoutSeconds * 1000,
        idleMs: config.registryTimeoutSeconds * 1000,
        blobMs: config.blobTimeoutMinutes * 60_000,
        minBytesPerSecond: config.registryMinRate,
      },
    },
    readiness: createAdvisoryReadiness(db, { sources: config.osvSources, importNow: () => refresher?.importSoon() ?? null }),
    logger: builtinLog,
  });
  return {
    scanners: { ecr, builtin },
    startRefresh() {
      const log = logger.child({ part: 'osv' });
      const rematcher = config.advisoryRematch ? startRematch(deps) : null;
      if (config.osvSources.length === 0) {
        log.info('ECRSCAN_OSV_SOURCES is not set: the built-in scanner has no advisories and fails its images until it is');
        return async () => {
          await rematcher?.stop();
        };
      }
      const started = startOsvRefresh(db, config.osvSources, { dataDir: osvDataDir(config.databaseUrl), log, onImported: () => rematcher?.wake() });
      refresher = started;
      return async () => {
        refresher = null;
        await started.stop();
        await rematcher?.stop();
      };
    },
    async refreshDue(signal) {
      const log = logger.child({ part: 'osv' });
      try {
        if (await osvImportDue(db, config.osvSources, systemClock.now())) {
          await importOsvSources(db, config.osvSources, { dataDir: osvDataDir(config.databaseUrl), log, signal });
        }
        if (config.advisoryRematch && !signal.aborted) await rematcherFor(deps).runPending();
      } catch (err) {
        if (!signal.aborted) log.error({ err }, 'advisory refresh failed');
      }
    },
    importAdvisories: () => refresher?.refreshNow() ?? null,
    async close() {
      share.stop();
      ecr.close();
      await analysis.close();
    },
  };
}

/** The built-in scanner's re-match of stored inventories after advisory changes (ECRSCAN_ADVISORY_REMATCH). */
function startRematch(deps: ScannerDeps): Rematcher {
  const rematcher = rematcherFor(deps);
  rematcher.start();
  return rematcher;
}

function rematcherFor(deps: ScannerDeps): Rematcher {
  const db = deps.store.database;
  return createRematcher({
    store: deps.store,
    db,
    match: createStoredMatch(db, { analysers: PACKAGE_ANALYSERS, advisories: createAdvisoryLookup(db), clock: systemClock }),
    scanner: BUILTIN_SCANNER_ID,
    scannerLabel: `${BUILTIN_SCANNER_ID}@${BUILTIN_SCANNER_VERSION}`,
    clock: systemClock,
    logger: deps.logger.child({ part: 'rematch' }),
    concurrency: deps.config.concurrency,
    leaseMs: deps.config.leaseSeconds * 1000,
  });
}
