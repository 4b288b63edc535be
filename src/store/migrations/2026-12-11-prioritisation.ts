import { type CreateTableBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: imports no application code.

const CVE_PATTERN = /^CVE-\d{4}-\d{4,}$/;
const EMBEDDED_CVE = /(?:^|[^A-Z0-9])(CVE-\d{4}-\d{4,})$/;

/** The CVE a finding goes by: its name, a name wrapping one (DEBIAN-CVE-…), or its first CVE alias. */
function cveOf(name: string, aliases: string[]): string | null {
  if (CVE_PATTERN.test(name)) return name;
  const embedded = EMBEDDED_CVE.exec(name);
  if (embedded) return embedded[1] ?? null;
  return aliases.find((alias) => CVE_PATTERN.test(alias)) ?? null;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const real = postgres ? 'double precision' : 'real';

  // Prioritisation data, keyed by CVE id: one row per CVE, joined to findings when they are
  // read rather than copied into every finding row, so that a daily EPSS file of some
  // 300,000 scores is one table rewrite, not an update of every finding.
  // SQLite: the primary key is the table (without rowid), rather than a second b-tree
  // beside a rowid table: a 300,000-row EPSS file is written into one b-tree, not two.
  const keyed = <TB extends string, C extends string>(builder: CreateTableBuilder<TB, C>) => (postgres ? builder : builder.modifyEnd(sql`without rowid`));
  await keyed(
    db.schema
      .createTable('kev_entries')
      .addColumn('cve', 'text', (c) => c.primaryKey())
      .addColumn('date_added', 'text', (c) => c.notNull())
      .addColumn('due_date', 'text')
      .addColumn('ransomware', 'integer', (c) => c.notNull()),
  ).execute();
  await keyed(
    db.schema
      .createTable('epss_scores')
      .addColumn('cve', 'text', (c) => c.primaryKey())
      .addColumn('score', real, (c) => c.notNull())
      .addColumn('percentile', real, (c) => c.notNull())
      // The file's score date (YYYY-MM-DD): the same on every row of one import.
      .addColumn('date', 'text'),
  ).execute();
  await keyed(
    db.schema
      .createTable('nvd_cvss')
      .addColumn('cve', 'text', (c) => c.primaryKey())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('score', real, (c) => c.notNull())
      .addColumn('vector', 'text', (c) => c.notNull())
      .addColumn('modified', 'bigint', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull()),
  ).execute();
  // One row per configured source: its validators and checksum (an unchanged file is not
  // imported again), its last import and attempt, and what the data says of its own date.
  await db.schema
    .createTable('enrichment_sources')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('sha256', 'text')
    .addColumn('imported_at', 'bigint')
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('data_version', 'text')
    .addColumn('attempted_at', 'bigint')
    .addColumn('error', 'text')
    .execute();

  // The CVE a finding is joined to its prioritisation data by (null when it has none).
  await db.schema.alterTable('findings').addColumn('cve', 'text').execute();
  await db.schema.createIndex('findings_cve').on('findings').columns(['cve']).execute();
  // Kept with the severity counts at write time, so that the summary never counts findings.
  await db.schema.alterTable('images').addColumn('kev', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('images').addColumn('fixable', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await backfillCves(db as Kysely<{ findings: { id: number; name: string; aliases: string; cve: string | null } }>);
  await sql`update images set fixable = (select count(*) from findings f where f.image_id = images.id and f.fixed_at is null and f.fixed_version is not null)`.execute(db);
}

async function backfillCves(db: Kysely<{ findings: { id: number; name: string; aliases: string; cve: string | null } }>): Promise<void> {
  // Most findings are named by their CVE: one statement. The rest (distribution and GHSA
  // ids) are read in batches and keyed by the CVE they wrap or alias.
  await db.updateTable('findings').set({ cve: sql.ref('name') }).where('name', 'like', 'CVE-%').execute();
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('findings')
      .select(['id', 'name', 'aliases'])
      .where('id', '>', after)
      .where('name', 'not like', 'CVE-%')
      .orderBy('id')
      .limit(5000)
      .execute();
    if (rows.length === 0) return;
    const byCve = new Map<string, number[]>();
    for (const row of rows) {
      const cve = cveOf(row.name, JSON.parse(row.aliases) as string[]);
      if (cve !== null) byCve.set(cve, [...(byCve.get(cve) ?? []), Number(row.id)]);
    }
    for (const [cve, ids] of byCve) await db.updateTable('findings').set({ cve }).where('id', 'in', ids).execute();
    after = Number(rows.at(-1)?.id ?? after);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('findings_cve').execute();
  await db.schema.alterTable('findings').dropColumn('cve').execute();
  await db.schema.alterTable('images').dropColumn('kev').execute();
  await db.schema.alterTable('images').dropColumn('fixable').execute();
  for (const table of ['enrichment_sources', 'nvd_cvss', 'epss_scores', 'kev_entries']) await db.schema.dropTable(table).execute();
}
