import { type Kysely, Migrator, sql } from 'kysely';
import { changeConfig, insertConfig, removeConfig, selectConfig, selectConfigs, storeRevisionReader, writeProgress } from './configs-repo.js';
import { pruneEventsBefore, selectEvents } from './events-repo.js';
import { selectFindings } from './findings-repo.js';
import { selectFindingSpans } from './history-repo.js';
import { migrations } from './migrations/index.js';
import { writeScan } from './scan-commit.js';
import { selectSummary, selectSummaryConfigs, selectSummaryImages, selectSummaryPage } from './summary-repo.js';
import { claimDue, dropLeases, earliestDue, leaseHolders, extendLease, giveBackLease, queueRun, selectRun, takeLease } from './scans-repo.js';
import { claim, finishBatch, relay, relayPeriodic, release, selectDeliveries } from './deliveries-repo.js';
import {
  changeSubscription,
  countFailing,
  insertDelivery,
  insertSubscription,
  pruneFinishedDeliveries,
  removeSubscription,
  selectSubscription,
  selectSubscriptions,
} from './subscriptions-repo.js';
import { changeSuppression, earliestExpiry, expireDue, insertSuppression, putSuppressions, removeSuppression, selectSuppression, selectSuppressions } from './suppressions-repo.js';
import type { StoreDialect } from './dialect.js';
import { queriedRevisions, type RevisionSource } from './revision-source.js';
import type { Store } from './store.js';
import type { Database } from './tables.js';

// Readiness checks call ping; a server that stopped answering must not hold them for the
// pool's connect or query timeouts.
const PING_TIMEOUT_MS = 3_000;

/**
 * Applies every bundled migration not yet applied. On PostgreSQL, Kysely's migrator holds a
 * session advisory lock (pg_advisory_lock) around the run, so that processes starting
 * together apply each migration once; SQLite serves one process.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface KyselyStoreOptions {
  dialect: StoreDialect;
  /** How readers learn the revision, given the query that reads it; by default that query per read. */
  revisions?: (read: () => Promise<number>) => RevisionSource;
  /**
   * Runs the store's own writes, each whole, somewhere else: SQLite's writer thread, where
   * a write is one message instead of a round trip per statement. By default on `db`.
   */
  writes?: StoreWrites;
}

/** The store's own writes: each is one transaction or statement, so each can run whole on another thread. */
export const STORE_WRITES = [
  'createConfig',
  'reportProgress',
  'updateConfig',
  'deleteConfig',
  'requestScan',
  'claimDueScans',
  'renewLease',
  'commitScan',
  'leaseConfig',
  'releaseLease',
  'releaseLeases',
  'createSuppression',
  'putSuppressions',
  'updateSuppression',
  'deleteSuppression',
  'expireSuppressions',
] as const;
export type StoreWrites = Pick<Store, (typeof STORE_WRITES)[number]>;

export function createKyselyStore(db: Kysely<Database>, options: KyselyStoreOptions): Store {
  const { dialect } = options;
  const read = storeRevisionReader(db);
  const revisions = options.revisions?.(read) ?? queriedRevisions(read);
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of listeners) listener();
  };
  let watching = false;
  /** A write, after which this process's next revision read must see it. */
  const writing =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        revisions.written();
        changed();
      }
    };
  const writes: StoreWrites = options.writes ?? {
    createConfig: (config, now, createdBy) => insertConfig(db, dialect, config, now, createdBy ?? null),
    reportProgress: (configId, owner, progress) => writeProgress(db, configId, owner, progress),
    updateConfig: (id, changes, nextScanAt) => changeConfig(db, id, changes, nextScanAt),
    deleteConfig: (id) => removeConfig(db, id),
    requestScan: (configId, now) => queueRun(db, configId, now),
    claimDueScans: (owner, now, leaseMs, limit) => claimDue(db, dialect, owner, now, leaseMs, limit),
    renewLease: (configId, owner, until) => extendLease(db, configId, owner, until),
    commitScan: (result) => writeScan(db, result),
    leaseConfig: (configId, owner, now, leaseMs) => takeLease(db, configId, owner, now, leaseMs),
    releaseLease: (configId, owner) => giveBackLease(db, configId, owner),
    releaseLeases: (owner, now) => dropLeases(db, owner, now),
    createSuppression: (input, createdBy, now) => insertSuppression(db, input, createdBy, now),
    putSuppressions: (inputs, createdBy, now) => putSuppressions(db, inputs, createdBy, now),
    updateSuppression: (id, input, now) => changeSuppression(db, id, input, now),
    deleteSuppression: (id, now) => removeSuppression(db, id, now),
    expireSuppressions: (now) => expireDue(db, now),
  };
  return {
    createConfig: writing(writes.createConfig),
    listConfigs: () => selectConfigs(db),
    getConfig: (id) => selectConfig(db, id),
    reportProgress: writes.reportProgress,
    updateConfig: writing(writes.updateConfig),
    deleteConfig: writing(writes.deleteConfig),
    requestScan: writing(writes.requestScan),
    getRun: (id) => selectRun(db, id),
    claimDueScans: writing(writes.claimDueScans),
    renewLease: writes.renewLease,
    commitScan: writing(writes.commitScan),
    leaseConfig: writes.leaseConfig,
    releaseLease: writes.releaseLease,
    releaseLeases: writing(writes.releaseLeases),
    nextDueAt: () => earliestDue(db),
    leaseHolders: (now) => leaseHolders(db, now),
    summary: () => selectSummary(db),
    summaryPage: (query) => selectSummaryPage(db, query),
    summaryConfigs: () => selectSummaryConfigs(db),
    summaryImages: (configIds) => selectSummaryImages(db, configIds),
    listFindings: (configId, query) => selectFindings(db, configId, query),
    findingSpans: (sinceDay) => selectFindingSpans(db, sinceDay),
    listEvents: (query) => selectEvents(db, query),
    pruneEvents: (before, batch) => pruneEventsBefore(db, before, batch),
    revision: () => revisions.current(),
    onChange: (listener) => {
      listeners.add(listener);
      if (!watching) {
        watching = true;
        revisions.watch?.(changed);
      }
      return () => listeners.delete(listener);
    },
    createSubscription: (input, now) => insertSubscription(db, input, now),
    listSubscriptions: () => selectSubscriptions(db),
    getSubscription: (id) => selectSubscription(db, id),
    updateSubscription: (id, patch, now) => changeSubscription(db, id, patch, now),
    deleteSubscription: (id) => removeSubscription(db, id),
    listDeliveries: (subscriptionId, limit) => selectDeliveries(db, subscriptionId, limit),
    enqueueDelivery: (delivery, now) => insertDelivery(db, delivery, now),
    relayEvents: (limit, plan, now) => relay(db, dialect, limit, plan, now),
    relayPeriodicDigests: (now, plan) => relayPeriodic(db, dialect, now, plan),
    claimDeliveries: (owner, now, leaseMs, limit) => claim(db, dialect, owner, now, leaseMs, limit),
    finishDeliveries: (outcomes, failingAfter) => finishBatch(db, outcomes, failingAfter),
    releaseDeliveries: (owner) => release(db, owner),
    countFailingSubscriptions: () => countFailing(db),
    pruneDeliveries: (before, batch) => pruneFinishedDeliveries(db, before, batch),
    createSuppression: writing(writes.createSuppression),
    putSuppressions: writing(writes.putSuppressions),
    listSuppressions: () => selectSuppressions(db),
    getSuppression: (id) => selectSuppression(db, id),
    updateSuppression: writing(writes.updateSuppression),
    deleteSuppression: writing(writes.deleteSuppression),
    expireSuppressions: writing(writes.expireSuppressions),
    nextSuppressionExpiry: () => earliestExpiry(db),
    ping: () => pingWithin(db, PING_TIMEOUT_MS),
    close: async () => {
      await revisions.close();
      await db.destroy();
    },
  };
}

async function pingWithin(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
