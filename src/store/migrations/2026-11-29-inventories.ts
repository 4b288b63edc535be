import type { Kysely } from 'kysely';

// Frozen in time: this file must keep creating exactly this schema, so it imports no
// application code and later changes go into new, later-dated migrations.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The built-in scanner's package inventory of an image, so that a rescan of an unchanged
  // image downloads no layer. A digest names its content, so the key needs no registry; the
  // platform tells the images of one index apart, and the analyser versions make an
  // inventory taken by an older analyser stale.
  await db.schema
    .createTable('image_inventories')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('analysers', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('inventory', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_inventories_pk', ['digest', 'platform', 'analysers'])
    .execute();
  // Inventories not used for a long time are removed by age.
  await db.schema.createIndex('image_inventories_used').on('image_inventories').columns(['used_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('image_inventories').execute();
}
