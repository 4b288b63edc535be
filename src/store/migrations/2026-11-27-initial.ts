import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must keep creating exactly this schema, so it imports no
// application code and later changes go into new, later-dated migrations.

function autoId(db: Kysely<unknown>): { type: 'bigserial' | 'integer'; autoIncrement: boolean } {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? { type: 'bigserial', autoIncrement: false }
    : { type: 'integer', autoIncrement: true };
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const id = autoId(db);
  await db.schema
    .createTable('configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('region', 'text')
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tags', 'text')
    .addColumn('schedule', 'text')
    .addColumn('scanner', 'text', (c) => c.notNull())
    .addColumn('platform', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_scan_at', 'bigint')
    .addColumn('next_scan_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('configs_due').on('configs').columns(['next_scan_at']).execute();

  await db.schema
    .createTable('images')
    .addColumn('id', id.type, (c) => (id.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('config_id', 'text', (c) => c.notNull().references('configs.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('scanned_at', 'bigint')
    .addColumn('scanner', 'text')
    .addColumn('critical', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('high', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('medium', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('low', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('informational', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('undefined', 'bigint', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('images_config_tag', ['config_id', 'tag'])
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', id.type, (c) => (id.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('image_id', 'bigint', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('config_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('fixed_version', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('uri', 'text')
    .addColumn('description', 'text')
    .addColumn('cvss_score', 'double precision')
    .addColumn('cvss_vector', 'text')
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('fixed_at', 'bigint')
    .addColumn('seen_run', 'text', (c) => c.notNull())
    .addUniqueConstraint('findings_image_name_package', ['image_id', 'name', 'package'])
    .execute();
  // The feed pages through one configuration's findings, newest first.
  await db.schema.createIndex('findings_feed').on('findings').columns(['config_id', 'first_seen', 'id']).execute();

  await db.schema
    .createTable('scan_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('config_id', 'text', (c) => c.notNull().references('configs.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('owner', 'text')
    .addColumn('images', 'bigint')
    .execute();
  await db.schema.createIndex('scan_runs_config').on('scan_runs').columns(['config_id', 'requested_at']).execute();

  await db.schema
    .createTable('store_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into store_meta (key, value) values ('revision', 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['store_meta', 'scan_runs', 'findings', 'images', 'configs']) {
    await db.schema.dropTable(table).execute();
  }
}
