import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const serial = (table: string) =>
    db.schema.createTable(table).addColumn('id', postgres ? 'serial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()));

  // The package index as posting lists: one row per package and indexing batch, listing the
  // digests of that batch's inventories holding the package. The row per (package, digest)
  // it replaces cost some 10 ms per inventory (500 rows in 500 places of a large B-tree);
  // a batch of inventories sharing most of their packages now writes a few rows per
  // inventory. Names and digests are numbered once, so the lists are short integers.
  await db.schema.dropTable('inventory_packages').execute();
  // By the name advisories use and the ecosystem with its release; name first, so that a
  // record naming an ecosystem without release (`Debian`) finds every release by the same index.
  await serial('inventory_package_keys')
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addUniqueConstraint('inventory_package_keys_name', ['package', 'ecosystem'])
    .execute();
  // One row per indexing transaction.
  await serial('inventory_index_batches').addColumn('created_at', 'bigint', (c) => c.notNull()).execute();
  // `batch`: the last batch that indexed the digest. A batch no digest points at any more
  // (pruned, or indexed again later) has its postings removed when inventories are pruned.
  await serial('inventory_digests')
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('batch', 'integer', (c) => c.notNull())
    .execute();
  let postings = db.schema
    .createTable('inventory_postings')
    .addColumn('key_id', 'integer', (c) => c.notNull())
    .addColumn('batch', 'integer', (c) => c.notNull())
    // Comma-separated inventory_digests ids.
    .addColumn('digests', 'text', (c) => c.notNull())
    // Batch first: a batch's rows are written together at the end of the table, instead of
    // beside each package's earlier rows, in as many places as it has packages.
    .addPrimaryKeyConstraint('inventory_postings_pk', ['batch', 'key_id']);
  if (!postgres) postings = postings.modifyEnd(sql`without rowid`);
  await postings.execute();
  // The lookup by package: small entries, so that a batch's touch few pages.
  await db.schema.createIndex('inventory_postings_key').on('inventory_postings').columns(['key_id']).execute();
  // Inventories stored and not yet indexed, with what the index records of each (JSON
  // [[ecosystem, [names]], …], null: read it from the inventory), written with the inventory
  // so that indexing parses no inventory. A row of its own: setting a flag on an inventory's
  // row rewrote all of its tens of kilobytes.
  await db.schema
    .createTable('inventory_index_queue')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('analysers', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('keys', 'text')
    .addPrimaryKeyConstraint('inventory_index_queue_pk', ['digest', 'platform', 'analysers'])
    .execute();
  await db.schema.createIndex('inventory_index_queue_created').on('inventory_index_queue').columns(['created_at']).execute();
  await db.schema.dropIndex('image_inventories_unindexed').execute();
  await db.schema.alterTable('image_inventories').dropColumn('indexed').execute();
  // Every stored inventory is indexed again into the new tables.
  await sql`insert into inventory_index_queue (digest, platform, analysers, created_at) select digest, platform, analysers, created_at from image_inventories`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.dropTable('inventory_index_queue').execute();
  await db.schema.alterTable('image_inventories').addColumn('indexed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('image_inventories_unindexed').on('image_inventories').columns(['created_at']).where(sql.ref('indexed'), '=', 0).execute();
  await db.schema.dropTable('inventory_postings').execute();
  await db.schema.dropTable('inventory_digests').execute();
  await db.schema.dropTable('inventory_index_batches').execute();
  await db.schema.dropTable('inventory_package_keys').execute();
  let index = db.schema
    .createTable('inventory_packages')
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_packages_pk', ['package', 'ecosystem', 'digest']);
  if (!postgres) index = index.modifyEnd(sql`without rowid`);
  await index.execute();
  await db.schema.createIndex('inventory_packages_digest').on('inventory_packages').columns(['digest']).execute();
}
