import type { Kysely } from 'kysely';

// Frozen in time: imports no application code.

/**
 * Suppressions (ignore a vulnerability with a reason, VEX status and expiry) and, on each
 * finding, the suppression that covers it: kept on the row so that counts, feeds and the
 * first findings page filter on a column rather than match thousands of suppressions.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('suppressions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vulnerability', 'text', (c) => c.notNull())
    .addColumn('package', 'text')
    .addColumn('config_id', 'text')
    .addColumn('repository', 'text')
    .addColumn('tag', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('justification', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    // Set once the expiry has been applied: until then the suppression still covers its findings.
    .addColumn('expired_at', 'bigint')
    .execute();
  await db.schema.createIndex('suppressions_vulnerability').on('suppressions').columns(['vulnerability']).execute();
  await db.schema.createIndex('suppressions_expiry').on('suppressions').columns(['expired_at', 'expires_at']).execute();
  // No index: findings are looked up by vulnerability when suppressions change, and every
  // index more costs each scan's commit.
  await db.schema.alterTable('findings').addColumn('suppressed_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('findings').dropColumn('suppressed_by').execute();
  await db.schema.dropTable('suppressions').execute();
}
