import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { createKyselyStore } from '../../src/store/kysely-store.js';
import { openStore, type StoreOptions } from '../../src/store/open-store.js';
import { openPostgres } from '../../src/store/postgres/open-postgres.js';
import type { Store } from '../../src/store/store.js';
import type { Database } from '../../src/store/tables.js';
import { adminStatement, findPostgresBin, type Releaser, startThrowawayServer, type ThrowawayServer } from './postgres-server.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

export type { ThrowawayServer } from './postgres-server.js';

/**
 * The databases a suite runs against: `for (const dialect of await databases()) describe(dialect.name, …)`.
 *
 * SQLite always. PostgreSQL when `TEST_DATABASE_URL` names a server (databases are then
 * created on it and dropped at the end), or else when the PostgreSQL server binaries are
 * installed: a throwaway server is started for the test file on a free loopback port and
 * stopped at the end. Without either, PostgreSQL is skipped with a warning, or fails the run
 * when `CI` is set. Each test file has databases of its own, so files run in parallel.
 */
export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /**
   * A store on a migrated database without rows, its own until the store is closed. Closing
   * it (`t.after(() => store.close())`) lets the next openStore reuse the database, emptied,
   * which is much cheaper than a new one; whatever is still open is closed when the file's
   * tests end.
   */
  openStore(options?: StoreOptions): Promise<Store>;
  /** DATABASE_URL of a new, empty (not migrated) database of its own, removed when the file's tests end. */
  createDatabase(): Promise<string>;
  /** The throwaway PostgreSQL server this file started, or null (SQLite, or a server named by TEST_DATABASE_URL). */
  server: ThrowawayServer | null;
}

let loaded: Promise<TestDialect[]> | undefined;

/** The dialects to test; the first call in a test file sets them up and registers their teardown. */
export function databases(): Promise<TestDialect[]> {
  loaded ??= setUp();
  return loaded;
}

async function setUp(): Promise<TestDialect[]> {
  const releasers: Releaser[] = [];
  after(async () => {
    for (const release of releasers.reverse()) await release();
  });
  const watchdog = await startWatchdog();
  releasers.push(() => watchdog.dismiss());
  const dialects = [await sqliteDialect(releasers, watchdog)];
  const postgres = await postgresDialect(releasers, watchdog);
  if (postgres) dialects.push(postgres);
  return dialects;
}

/** Closes the store when the file's tests end, unless the test closed it first. */
function tracked(store: Store, releasers: Releaser[]): Store {
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await store.close();
  };
  releasers.push(close);
  return { ...store, close };
}

async function sqliteDialect(releasers: Releaser[], watchdog: Watchdog): Promise<TestDialect> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-sqlite-'));
  releasers.push(() => rm(dir, { recursive: true, force: true }));
  await watchdog.add(['rm', '-rf', dir]);
  let count = 0;
  const createDatabase = async (): Promise<string> => join(dir, `db-${++count}.sqlite`);
  let migrated: Promise<string> | undefined;
  const migrate = async (): Promise<string> => {
    const file = await createDatabase();
    await (await openStore(file)).close();
    return file;
  };
  return {
    name: 'sqlite',
    server: null,
    createDatabase,
    // A copy of a closed, migrated file: as new as a database gets, and cheap.
    openStore: async (options) => {
      migrated ??= migrate();
      const file = await createDatabase();
      await copyFile(await migrated, file);
      return tracked(await openStore(file, options), releasers);
    },
  };
}

async function postgresDialect(releasers: Releaser[], watchdog: Watchdog): Promise<TestDialect | null> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) return postgresOn(external, null, releasers);
  const bin = findPostgresBin();
  if (!bin) return missing('PostgreSQL not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH) and TEST_DATABASE_URL not set');
  const runAs = process.getuid?.() === 0 ? 'postgres' : null;
  if (runAs && spawnSync('id', ['-u', runAs]).status !== 0) {
    return missing('running as root and there is no "postgres" user to run the PostgreSQL server as');
  }
  const server = await startThrowawayServer(bin, runAs, releasers, watchdog);
  return postgresOn(`postgres://postgres@127.0.0.1:${server.port}/postgres`, server, releasers);
}

function missing(reason: string): null {
  if (process.env.CI) throw new Error(`PostgreSQL is required when CI is set: ${reason}`);
  console.warn(`SKIPPED: ${reason}; the PostgreSQL half of this suite did not run`);
  return null;
}

/**
 * Databases are created from template0, which nobody connects to, so that test files creating
 * theirs at the same moment never clash. A store's database is handed to the next store once
 * the first is closed, emptied: far cheaper than creating, migrating and connecting anew.
 */
function postgresOn(adminUrl: string, server: ThrowawayServer | null, releasers: Releaser[]): TestDialect {
  const created: string[] = [];
  // A throwaway server goes as a whole at the end; on a shared one, each database is dropped.
  if (!server) {
    releasers.push(async () => {
      for (const name of created) await adminStatement(adminUrl, `drop database if exists ${name} with (force)`);
    });
  }
  let count = 0;
  const createDatabase = async (template = 'template0'): Promise<string> => {
    const name = `ecrscan_test_${process.pid}_${++count}_${Math.random().toString(36).slice(2, 8)}`;
    await adminStatement(adminUrl, `create database ${name} template ${template} encoding 'UTF8'`);
    created.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };

  interface Slot {
    url: string;
    db: Kysely<Database>;
    inUse: boolean;
  }
  const slots: Slot[] = [];
  releasers.push(async () => {
    for (const slot of slots) await slot.db.destroy();
  });
  let template: Promise<string> | undefined;
  const migratedTemplate = async (): Promise<string> => {
    const url = await createDatabase();
    // Closed again at once: a database can be copied only while nobody is connected to it.
    await (await openStore(url)).close();
    return new URL(url).pathname.slice(1);
  };
  const acquire = async (): Promise<Slot> => {
    const free = slots.find((slot) => !slot.inUse);
    if (free) {
      free.inUse = true;
      await emptyTables(free.db);
      return free;
    }
    template ??= migratedTemplate();
    const url = await createDatabase(await template);
    const slot = { url, db: openPostgres(url, { poolSize: 4, statementTimeoutMs: 30_000 }), inUse: true };
    slots.push(slot);
    return slot;
  };

  return {
    name: 'postgres',
    server,
    createDatabase: () => createDatabase(),
    openStore: async (options) => {
      const slot = await acquire();
      // A store with options of its own gets its own pool; others share the slot's.
      const store = options ? await openStore(slot.url, options) : createKyselyStore(slot.db, { dialect: 'postgres' });
      return tracked(closedWith(store, async () => {
        if (options) await store.close();
        slot.inUse = false;
      }), releasers);
    },
  };
}

/** The store with `close` replaced, refusing every call once closed, as a store of its own would. */
function closedWith(store: Store, close: () => Promise<void>): Store {
  let closed = false;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'close') {
        return async () => {
          if (closed) return;
          closed = true;
          await close();
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => (closed ? Promise.reject(new Error('the store is closed')) : value.apply(target, args));
    },
  });
}

/** Removes every row the service wrote; the migrations' bookkeeping stays and store_meta's counters restart at 0. */
async function emptyTables(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select tablename as name from pg_tables
    where schemaname = current_schema() and tablename not like 'kysely\\_%' and tablename <> 'store_meta'`.execute(db);
  // One statement for all tables, so that foreign keys between them need no ordering.
  if (rows.length > 0) await sql`truncate table ${sql.join(rows.map((row) => sql.table(row.name)))} restart identity`.execute(db);
  await sql`update store_meta set value = 0`.execute(db);
}
