import type SqliteDatabase from 'better-sqlite3';

/**
 * Prepared statements kept by their SQL text, least recently used dropped first. Kysely's
 * SQLite driver prepares every statement afresh, and compiling SQL costs more than running
 * the small queries the API makes (the store revision, a configuration, a page of
 * findings). Nothing invalidates an entry: SQLite re-prepares a statement by itself when
 * the schema changes under it (`sqlite3_prepare_v3`), and statements are only ever run to
 * completion here (`all`, `run`), never left half iterated, so one statement serves every
 * caller in turn. The bound is for SQL made of varying lists (`in (?, ?, …)`).
 */
export interface StatementCache {
  prepare(sql: string): SqliteDatabase.Statement;
  readonly size: number;
}

export const STATEMENT_CACHE_SIZE = 256;

export function createStatementCache(database: SqliteDatabase.Database, maxEntries = STATEMENT_CACHE_SIZE): StatementCache {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached) {
        // Re-inserted, so that the Map's order stays least recently used first.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > maxEntries) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return statement;
    },
    get size() {
      return statements.size;
    },
  };
}

/** The database as Kysely's SQLite dialect sees it, preparing through `cache`. */
export function cachingDatabase(database: SqliteDatabase.Database, cache: StatementCache): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  return { close: () => database.close(), prepare: (sql) => cache.prepare(sql) };
}
