import type { Kysely } from 'kysely';

// Frozen in time: imports no application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('findings').addColumn('path', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('findings').dropColumn('path').execute();
}
