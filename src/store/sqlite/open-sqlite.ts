import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../tables.js';
import { cachingDatabase, createStatementCache } from './statement-cache.js';

/** Opens (creating if needed) the embedded database file; `:memory:` for a throwaway one. One connection for reads and writes. */
export function openSqlite(file: string): Kysely<Database> {
  const database = openConnection(file);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(database, createStatementCache(database)) }) });
}

/** One connection to the file with the service's settings; the store's reader and its writer thread each open one. */
export function openConnection(file: string): SqliteDatabase.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  // WAL lets API reads go on while a scan writes. FULL syncs the log at every commit, so
  // that what was acknowledged (a 201, a stored scan) survives power loss and an OS crash,
  // not only a process crash as NORMAL does; its cost is in bench/README.md.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  // Sorts and indexes too big for memory spill to temporary files: in the data directory,
  // with the database, rather than /var/tmp. (SQLite keeps one such directory per process.)
  if (file !== ':memory:') database.pragma(`temp_store_directory = '${dirname(resolve(file)).replaceAll("'", "''")}'`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}
