import type { Kysely } from 'kysely';
import { createKyselyStore, migrateToLatest } from './kysely-store.js';
import { openPostgres, type PoolLogger } from './postgres/open-postgres.js';
import { listenForRevisions } from './postgres/revision-listener.js';
import { openSqlite } from './sqlite/open-sqlite.js';
import { openSplitSqlite } from './sqlite/split-sqlite.js';
import type { Store } from './store.js';
import type { Database } from './tables.js';

export type { Store } from './store.js';

export interface StoreOptions {
  /** PostgreSQL connections this process may hold; default 10. */
  poolSize?: number;
  /** PostgreSQL statement timeout in milliseconds; default 30 s. */
  statementTimeoutMs?: number;
  /** Told about PostgreSQL connections the server dropped while idle. */
  logger?: PoolLogger;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//.test(databaseUrl);
}

/** The store and the Kysely handle it runs on, for parts that keep tables of their own (scanners). */
export interface OpenDatabase {
  store: Store;
  db: Kysely<Database>;
}

/**
 * Opens the database named by DATABASE_URL, a SQLite file path or a `postgres://` URL,
 * migrated to the latest schema.
 */
export async function openStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  return (await openDatabase(databaseUrl, options)).store;
}

/**
 * Like `openStore`, with the handle as well. Parts that share it share the store's
 * connections on SQLite (reads on this thread, writes one at a time on the store's writer
 * thread: see `sqlite/split-sqlite.ts`) and its pool on PostgreSQL; closing the store
 * closes it.
 */
export async function openDatabase(databaseUrl: string, options: StoreOptions = {}): Promise<OpenDatabase> {
  if (isPostgresUrl(databaseUrl)) return openPostgresDatabase(databaseUrl, options);
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  const single = openSqlite(file);
  await migrateOrClose(single);
  // An in-memory database exists on its one connection only.
  if (file === ':memory:') return { store: createKyselyStore(single, { dialect: 'sqlite' }), db: single };
  await single.destroy();
  const split = await openSplitSqlite(file);
  return { store: createKyselyStore(split.db, { dialect: 'sqlite', writes: split.writes }), db: split.db };
}

async function openPostgresDatabase(url: string, options: StoreOptions): Promise<OpenDatabase> {
  // Migrations run on a connection of their own without a statement timeout: waiting for
  // another process's migration lock, or building an index over a large table, may rightly
  // take longer than any query of the running service should.
  const migrationDb = openPostgres(url, { poolSize: 1, statementTimeoutMs: 0, logger: options.logger });
  try {
    await migrateToLatest(migrationDb);
  } finally {
    await migrationDb.destroy();
  }
  const db = openPostgres(url, {
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    logger: options.logger,
  });
  const revisions = (read: () => Promise<number>) => listenForRevisions({ url, read, logger: options.logger });
  return { store: createKyselyStore(db, { dialect: 'postgres', revisions }), db };
}

async function migrateOrClose(db: Kysely<Database>): Promise<void> {
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
