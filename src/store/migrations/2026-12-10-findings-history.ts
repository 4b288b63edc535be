import type { Kysely } from 'kysely';

// Frozen in time: imports no application code.

/**
 * The open-findings history (GET /history) groups every finding by severity, first-seen
 * and fixed time. This index holds exactly those columns, so the query reads the index
 * rather than the findings' rows with their descriptions: 2.5 times faster over 1,000,000
 * findings (bench/README.md, dashboard).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('findings_history').on('findings').columns(['fixed_at', 'severity', 'first_seen']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('findings_history').execute();
}
