import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

/**
 * Copies every row of a migrated SQLite database into a migrated, empty PostgreSQL one,
 * table by table and byte for byte (ids, times, JSON texts), so that a benchmark compares
 * the two dialects on exactly the same data. Both databases must be at the same migration:
 * each column is handed over as an array of the PostgreSQL column's type.
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

interface Column {
  name: string;
  /** PostgreSQL's name of the column's type (int8, text, float8 …), for an array of it. */
  type: string;
}

async function columnsOf(client: pg.Client, table: string): Promise<Column[]> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `select column_name as name, udt_name as type from information_schema.columns
     where table_schema = current_schema() and table_name = $1 order by ordinal_position`,
    [table],
  );
  for (const { type } of rows) if (!/^[a-z0-9_]+$/.test(type)) throw new Error(`column type ${type} of ${table} cannot be named in a cast`);
  return rows;
}

/**
 * Rows go over as one array per column, unnested by the server: about twice as fast as
 * handing them over as JSON, and typed by the PostgreSQL table's own columns.
 */
async function copyTable(sqlite: SqliteDatabase.Database, client: pg.Client, table: string): Promise<number> {
  const columns = await columnsOf(client, table);
  const insert =
    `insert into ${quoteIdent(table)} (${columns.map((column) => quoteIdent(column.name)).join(', ')}) ` +
    `select * from unnest(${columns.map((column, i) => `$${i + 1}::${column.type}[]`).join(', ')})`;
  let batch: Record<string, unknown>[] = [];
  let copied = 0;
  const flush = async (): Promise<void> => {
    await client.query(insert, columns.map((column) => batch.map((row) => row[column.name] ?? null)));
    copied += batch.length;
    batch = [];
  };
  for (const row of sqlite.prepare(`select * from ${quoteIdent(table)}`).iterate()) {
    if (typeof row !== 'object' || row === null) throw new Error(`SQLite answered a row of ${table} that is not an object`);
    if (copied === 0 && batch.length === 0) {
      const missing = columns.filter((column) => !(column.name in row));
      if (missing.length > 0) throw new Error(`SQLite's ${table} lacks ${missing.map((column) => column.name).join(', ')}: the two databases are not at the same migration`);
    }
    batch.push(row as Record<string, unknown>);
    if (batch.length === ROWS_PER_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return copied;
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
