import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

/**
 * Copies every row of a migrated SQLite database into a migrated, empty PostgreSQL one,
 * table by table and byte for byte (ids, times, JSON texts), so that a benchmark compares
 * the two dialects on exactly the same data. Both databases must be at the same migration:
 * the rows are handed over as JSON and read back with the PostgreSQL table's own row type.
 */

const ROWS_PER_BATCH = 5_000;

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The application's tables: neither SQLite's nor the migrator's bookkeeping. */
function sqliteTables(sqlite: SqliteDatabase.Database): string[] {
  const rows = sqlite.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name not like 'kysely\\_%' escape '\\'`).all();
  return rows.map((row) => {
    const name = typeof row === 'object' && row !== null && 'name' in row ? row.name : undefined;
    if (typeof name !== 'string') throw new Error('sqlite_master answered a table without a name');
    return name;
  });
}

async function postgresTables(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = current_schema() and tablename not like 'kysely\\_%'`);
  return new Set(rows.map((row) => row.name));
}

async function copyTable(sqlite: SqliteDatabase.Database, client: pg.Client, table: string): Promise<number> {
  const insert = `insert into ${quoteIdent(table)} select * from json_populate_recordset(null::${quoteIdent(table)}, $1::json)`;
  let batch: unknown[] = [];
  let copied = 0;
  for (const row of sqlite.prepare(`select * from ${quoteIdent(table)}`).iterate()) {
    batch.push(row);
    if (batch.length === ROWS_PER_BATCH) {
      await client.query(insert, [JSON.stringify(batch)]);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await client.query(insert, [JSON.stringify(batch)]);
  return copied + batch.length;
}

/** Serial columns continue after the copied ids, as they would after the same inserts. */
async function advanceSequences(client: pg.Client, tables: string[]): Promise<void> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
     where table_schema = current_schema() and column_default like 'nextval(%' and table_name = any($1)`,
    [tables],
  );
  for (const { table_name: table, column_name: column } of rows) {
    await client.query(`select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${quoteIdent(column)}) from ${quoteIdent(table)}), 0) + 1, false)`, [table, column]);
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

/** Copies every application table; returns rows copied per table. */
export async function copySqliteToPostgres(sqliteFile: string, postgresUrl: string, log: (line: string) => void = () => undefined): Promise<Record<string, number>> {
  const sqlite = new SqliteDatabase(sqliteFile, { readonly: true });
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const present = await postgresTables(client);
    const tables = sqliteTables(sqlite);
    const missing = tables.filter((table) => !present.has(table));
    if (missing.length > 0) throw new Error(`PostgreSQL lacks tables ${missing.join(', ')}: the two databases are not at the same migration`);
    const copied: Record<string, number> = {};
    await client.query('begin');
    // Foreign keys are not checked while copying (a superuser's session), so tables copy in any order.
    await client.query(`set local session_replication_role = replica`);
    await client.query(`truncate table ${tables.map(quoteIdent).join(', ')}`);
    for (const table of tables) {
      const started = performance.now();
      copied[table] = await copyTable(sqlite, client, table);
      if (copied[table] > 0) log(`copied ${copied[table]} rows of ${table} in ${seconds(started)} s`);
    }
    await advanceSequences(client, tables);
    await client.query('commit');
    // Fresh statistics and visibility map, as autovacuum would have made on a database that grew over time.
    const started = performance.now();
    await client.query('vacuum analyze');
    log(`vacuum analyze in ${seconds(started)} s`);
    return copied;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
    sqlite.close();
  }
}
