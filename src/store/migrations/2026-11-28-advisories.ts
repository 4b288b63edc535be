import { type CreateTableBuilder, type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen in time: this file must keep creating exactly this schema, so it imports no
// application code and later changes go into new, later-dated migrations.

/**
 * On SQLite, keeps a table's rows in primary-key order (WITHOUT ROWID), so that all the
 * entries of one package are read together rather than one page each. PostgreSQL has no
 * such clause and serves the same queries from the primary-key index.
 */
function clustered<T extends string, C extends string>(db: Kysely<unknown>, table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? table.modifyEnd(sql`without rowid`) : table;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per OSV record id; `summary` is the JSON of what findings show of the record.
  await db.schema
    .createTable('osv_advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'bigint', (c) => c.notNull())
    .addColumn('published', 'bigint')
    .addColumn('withdrawn', 'bigint')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .execute();

  // The matcher's index: the entries naming a package of an ecosystem, each with the JSON
  // of its ranges, versions and per-CVE data. Withdrawn records have none.
  await clustered(
    db,
    db.schema
      .createTable('osv_affected')
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('advisory_id', 'text', (c) => c.notNull().references('osv_advisories.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('osv_affected_pk', ['ecosystem', 'package', 'advisory_id', 'position']),
  ).execute();
  await db.schema.createIndex('osv_affected_advisory').on('osv_affected').columns(['advisory_id']).execute();

  // Every name a record goes by (its id, aliases, upstream ids, the CVE it wraps), so that
  // a CVE id finds each record that speaks of it.
  await clustered(
    db,
    db.schema
      .createTable('osv_aliases')
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('advisory_id', 'text', (c) => c.notNull().references('osv_advisories.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('osv_aliases_pk', ['alias', 'advisory_id']),
  ).execute();
  await db.schema.createIndex('osv_aliases_advisory').on('osv_aliases').columns(['advisory_id']).execute();

  // Where advisories came from and how fresh each source was when last imported.
  await db.schema
    .createTable('osv_sources')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('signature', 'text')
    .addColumn('imported_at', 'bigint', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['osv_sources', 'osv_aliases', 'osv_affected', 'osv_advisories']) {
    await db.schema.dropTable(table).execute();
  }
}
