import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

/**
 * PostgreSQL: tags compare byte for byte (`COLLATE "C"`), as SQLite compares text, so that
 * a configuration lists its images in the same order on both. Under a database's
 * language collation (`en_US.UTF-8`, ICU) `V2` sorts between `v1` and `v3`, punctuation is
 * ignored at first, and the order would depend on how the server was set up.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table images alter column tag type text collate "C"`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table images alter column tag type text collate "default"`.execute(db);
}
