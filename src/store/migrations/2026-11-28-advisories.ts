import type { Kysely } from 'kysely';

// Frozen in time: this file must keep creating exactly this schema, so it imports no
// application code and later changes go into new, later-dated migrations.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per OSV record id; JSON columns hold arrays the matcher reads whole.
  await db.schema
    .createTable('osv_advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'bigint', (c) => c.notNull())
    .addColumn('published', 'bigint')
    .addColumn('withdrawn', 'bigint')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('upstream', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('details', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('database_severity', 'text')
    .addColumn('refs', 'text', (c) => c.notNull())
    .execute();

  // The matcher's index: which records name a package of an ecosystem, with the ranges to test.
  await db.schema
    .createTable('osv_affected')
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('osv_advisories.id').onDelete('cascade'))
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('osv_affected_package').on('osv_affected').columns(['ecosystem', 'package']).execute();
  await db.schema.createIndex('osv_affected_advisory').on('osv_affected').columns(['advisory_id']).execute();

  // Aliases and upstream ids, so that a CVE id finds every record that speaks about it.
  await db.schema
    .createTable('osv_aliases')
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('osv_advisories.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('osv_aliases_pk', ['alias', 'advisory_id'])
    .execute();
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
