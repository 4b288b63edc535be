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
    .addPrimaryKeyConstraint('inventory_postings_pk', ['key_id', 'batch']);
  if (!postgres) postings = postings.modifyEnd(sql`without rowid`);
  await postings.execute();
  await db.schema.createIndex('inventory_postings_batch').on('inventory_postings').columns(['batch']).execute();
  // What the index records of an inventory, written beside it when it is stored (JSON
  // [[ecosystem, [names]], …]), so that indexing does not parse whole inventories.
  await db.schema.alterTable('image_inventories').addColumn('index_keys', 'text').execute();
  // Every stored inventory is indexed again into the new tables.
  await db.updateTable('image_inventories' as never).set({ indexed: 0 } as never).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('image_inventories').dropColumn('index_keys').execute();
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
  await db.updateTable('image_inventories' as never).set({ indexed: 0 } as never).execute();
}
