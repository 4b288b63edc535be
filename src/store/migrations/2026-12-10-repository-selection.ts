import type { Kysely } from 'kysely';

// Frozen in time: imports no application code.

/**
 * Tag selection beyond globs (`newest`, `pushedWithin`, `exclude`), a running scan's
 * progress, and the built-in scanner's push times: an image configuration's `created`,
 * read once per digest (plus platform) and kept, since digests never change content.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('configs').addColumn('newest', 'integer').execute();
  await db.schema.alterTable('configs').addColumn('pushed_within', 'text').execute();
  await db.schema.alterTable('configs').addColumn('exclude', 'text').execute();
  await db.schema.alterTable('configs').addColumn('progress_done', 'integer').execute();
  await db.schema.alterTable('configs').addColumn('progress_total', 'integer').execute();
  await db.schema
    .createTable('image_created')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint')
    .addPrimaryKeyConstraint('image_created_pk', ['digest', 'platform'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('image_created').execute();
  for (const column of ['progress_total', 'progress_done', 'exclude', 'pushed_within', 'newest']) {
    await db.schema.alterTable('configs').dropColumn(column).execute();
  }
}
