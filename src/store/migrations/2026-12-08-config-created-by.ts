import type { Kysely } from 'kysely';

// Frozen in time: imports no application code.

/** Who registered a configuration: a token's name, or null (no tokens, or registered before this). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('configs').addColumn('created_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('configs').dropColumn('created_by').execute();
}
