import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

/**
 * PostgreSQL: every new store revision is notified on channel `ecrscan_store_revision`,
 * with the revision as payload, so that API processes keep it in memory instead of
 * reading it per request. A notification is sent when its transaction commits. SQLite
 * serves one process, which reads its revision in-process.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create function ecrscan_notify_revision() returns trigger language plpgsql as $$
    begin
      perform pg_notify('ecrscan_store_revision', new.value::text);
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger store_meta_notify_revision after update on store_meta
    for each row when (new.key = 'revision') execute function ecrscan_notify_revision()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger store_meta_notify_revision on store_meta`.execute(db);
  await sql`drop function ecrscan_notify_revision()`.execute(db);
}
