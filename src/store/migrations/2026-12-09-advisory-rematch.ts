import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // Which stored inventories hold a package, by the name advisories use and the package's
  // ecosystem with its release: an advisory change finds the image digests it concerns
  // without reading every inventory. Name first, so that a record naming an ecosystem
  // without release (`Debian`) finds every release's rows by the same index. The digest
  // alone is kept: platforms and analyser versions of one digest are re-matched together,
  // and three short columns keep the write beside an inventory cheap.
  let index = db.schema
    .createTable('inventory_packages')
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_packages_pk', ['package', 'ecosystem', 'digest']);
  // SQLite: the primary key is the table, rather than a second b-tree beside a rowid table.
  if (!postgres) index = index.modifyEnd(sql`without rowid`);
  await index.execute();
  // Pruning an inventory removes its digest's rows.
  await db.schema.createIndex('inventory_packages_digest').on('inventory_packages').columns(['digest']).execute();
  // Inventories are indexed after they are stored, many in one transaction (the re-match
  // does it before it looks for affected digests): an inventory's 500 rows land in 500
  // places of the index, which written one inventory per transaction cost a cold scan's
  // inventory write several times over. Existing inventories start unindexed.
  await db.schema.alterTable('image_inventories').addColumn('indexed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('image_inventories_unindexed').on('image_inventories').columns(['created_at']).where(sql.ref('indexed'), '=', 0).execute();

  // From the affected digests to the images (and so configurations) showing them.
  await db.schema.createIndex('images_digest').on('images').columns(['digest']).execute();

  // What each advisory import batch added, changed or withdrew, written in the batch's own
  // transaction: the queue the re-match claims from, so that a re-match broken off by a
  // crash is finished by whichever process claims the row next.
  await db.schema
    .createTable('advisory_changes')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // JSON: { added: ids, changed: ids, withdrawn: ids }.
    .addColumn('advisories', 'text', (c) => c.notNull())
    // JSON: [[ecosystem, package], …] named by those advisories, before and after the change.
    .addColumn('packages', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('done_at', 'bigint')
    .execute();
  // The last import attempt of each source, successful or not, for GET /advisories; the
  // osv_sources row keeps only successful imports (its presence says the data is complete).
  await db.schema
    .createTable('osv_source_attempts')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('advisory_changes_pending').on('advisory_changes').columns(['done_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('osv_source_attempts').execute();
  await db.schema.dropTable('advisory_changes').execute();
  await db.schema.dropIndex('images_digest').execute();
  await db.schema.dropIndex('image_inventories_unindexed').execute();
  await db.schema.alterTable('image_inventories').dropColumn('indexed').execute();
  await db.schema.dropTable('inventory_packages').execute();
}
