import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // `seq` is the log's order. Events are inserted after the store revision row is locked
  // (see events-repo.ts), so on PostgreSQL too its values are handed out in commit order.
  await db.schema
    .createTable('events')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('config_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('tag', 'text')
    .addColumn('digest', 'text')
    .addColumn('severity', 'text')
    // The finding a finding event is about; a new finding's values are read from it, so that
    // a commit logs its new findings with one INSERT … SELECT rather than by copying them.
    .addColumn('finding_id', 'bigint')
    .addColumn('detail', 'text')
    .execute();
  // The only index: a scan writes up to tens of thousands of events in its commit, and each
  // index more costs that commit. Pruning walks `seq` from the oldest, where old events are;
  // Event ids are made from seq (see event-id.ts), so they need no column nor index.
  await db.schema.createIndex('events_config').on('events').columns(['config_id', 'seq']).execute();
  // Drawn once per database: it keeps the event ids of two installations apart.
  const salt = Math.floor(Math.random() * 2 ** 26);
  await sql`insert into store_meta (key, value) values ('event_id_salt', ${salt})`.execute(db);

  // A configuration failing as a whole (its images could not be listed) since this time,
  // so that scan.failed and scan.recovered are written once per transition.
  await db.schema.alterTable('configs').addColumn('failing_since', 'bigint').execute();
  // An image whose tag left the repository is kept, closed, rather than deleted: its
  // findings stay listable as fixed, and a tag that comes back reopens them.
  await db.schema.alterTable('images').addColumn('removed_at', 'bigint').execute();
  await db.schema.alterTable('findings').addColumn('close_reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('findings').dropColumn('close_reason').execute();
  await db.schema.alterTable('images').dropColumn('removed_at').execute();
  await db.schema.alterTable('configs').dropColumn('failing_since').execute();
  await db.schema.dropTable('events').execute();
  await sql`delete from store_meta where key = 'event_id_salt'`.execute(db);
}
