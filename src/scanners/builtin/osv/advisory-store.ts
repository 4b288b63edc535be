import type { Kysely, Selectable } from 'kysely';
import type { OsvAdvisoriesTable, OsvSourcesTable } from '../../../store/advisory-tables.js';
import type { Database } from '../../../store/tables.js';
import type { AdvisoryLookup, AffectedRow, PackageKey } from './advisory-lookup.js';
import type { Advisory, AdvisoryDetails, AffectedSpec } from './advisory.js';

/**
 * Advisories in the service's database: plain functions over Kysely, the same SQL on
 * SQLite and PostgreSQL. Withdrawn records keep their row (so that an older copy of
 * them is not imported again) but lose their affected and alias rows, so lookups never
 * see them.
 */

// The service's database; only its advisory tables (store/advisory-tables.ts) are used here.
export type AdvisoryDb = Kysely<Database>;

// Ids per IN list and rows per INSERT: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `modified` (Unix ms) of the stored copies of these ids; ids not stored are absent. */
export async function storedModifiedTimes(db: AdvisoryDb, ids: readonly string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const chunk of chunks([...new Set(ids)])) {
    const rows = await db.selectFrom('osv_advisories').select(['id', 'modified']).where('id', 'in', chunk).execute();
    for (const row of rows) times.set(row.id, Number(row.modified));
  }
  return times;
}

function advisoryRow(advisory: Advisory, source: string): OsvAdvisoriesTable {
  return {
    id: advisory.id,
    modified: advisory.modified,
    published: advisory.published,
    withdrawn: advisory.withdrawn,
    source,
    aliases: JSON.stringify(advisory.aliases),
    upstream: JSON.stringify(advisory.upstream),
    summary: advisory.summary,
    details: advisory.details,
    severity: JSON.stringify(advisory.severity),
    database_severity: advisory.databaseSeverity,
    refs: JSON.stringify(advisory.references),
  };
}

function specOf(entry: AffectedSpec): string {
  const spec: AffectedSpec = { ranges: entry.ranges, versions: entry.versions, severity: entry.severity, cves: entry.cves };
  return JSON.stringify(spec);
}

/** Inserts or replaces these advisories, their affected entries and aliases, in one transaction. */
export async function saveAdvisories(db: AdvisoryDb, advisories: readonly Advisory[], source: string): Promise<void> {
  if (advisories.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const ids = [...new Set(advisories.map((advisory) => advisory.id))];
    for (const chunk of chunks(ids)) {
      await trx.deleteFrom('osv_affected').where('advisory_id', 'in', chunk).execute();
      await trx.deleteFrom('osv_aliases').where('advisory_id', 'in', chunk).execute();
    }
    for (const chunk of chunks(advisories.map((advisory) => advisoryRow(advisory, source)))) {
      await trx
        .insertInto('osv_advisories')
        .values(chunk)
        .onConflict((conflict) =>
          conflict.column('id').doUpdateSet((eb) => ({
            modified: eb.ref('excluded.modified'),
            published: eb.ref('excluded.published'),
            withdrawn: eb.ref('excluded.withdrawn'),
            source: eb.ref('excluded.source'),
            aliases: eb.ref('excluded.aliases'),
            upstream: eb.ref('excluded.upstream'),
            summary: eb.ref('excluded.summary'),
            details: eb.ref('excluded.details'),
            severity: eb.ref('excluded.severity'),
            database_severity: eb.ref('excluded.database_severity'),
            refs: eb.ref('excluded.refs'),
          })),
        )
        .execute();
    }
    const live = advisories.filter((advisory) => advisory.withdrawn === null);
    const affected = live.flatMap((advisory) =>
      advisory.affected.map((entry) => ({ advisory_id: advisory.id, ecosystem: entry.ecosystem, package: entry.package, spec: specOf(entry) })),
    );
    for (const chunk of chunks(affected)) await trx.insertInto('osv_affected').values(chunk).execute();
    const aliases = live.flatMap((advisory) =>
      [...new Set([...advisory.aliases, ...advisory.upstream])].filter((alias) => alias !== advisory.id).map((alias) => ({ alias, advisory_id: advisory.id })),
    );
    for (const chunk of chunks(aliases)) await trx.insertInto('osv_aliases').values(chunk).execute();
  });
}

export type ImportSourceRow = Selectable<OsvSourcesTable>;

export async function readImportSource(db: AdvisoryDb, source: string): Promise<ImportSourceRow | null> {
  const row = await db.selectFrom('osv_sources').selectAll().where('source', '=', source).executeTakeFirst();
  return row ? { ...row, imported_at: Number(row.imported_at), records: Number(row.records) } : null;
}

export async function saveImportSource(db: AdvisoryDb, row: OsvSourcesTable): Promise<void> {
  await db
    .insertInto('osv_sources')
    .values(row)
    .onConflict((conflict) =>
      conflict.column('source').doUpdateSet((eb) => ({
        etag: eb.ref('excluded.etag'),
        last_modified: eb.ref('excluded.last_modified'),
        signature: eb.ref('excluded.signature'),
        imported_at: eb.ref('excluded.imported_at'),
        records: eb.ref('excluded.records'),
      })),
    )
    .execute();
}

export async function countAdvisories(db: AdvisoryDb): Promise<{ total: number; withdrawn: number }> {
  const row = await db
    .selectFrom('osv_advisories')
    .select((eb) => [eb.fn.countAll().as('total'), eb.fn.count('withdrawn').as('withdrawn')])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), withdrawn: Number(row.withdrawn) };
}

function parseJson<T>(text: string): T {
  // Written by saveAdvisories from validated records; a failure here is a corrupted database.
  return JSON.parse(text) as T;
}

function toDetails(row: Selectable<OsvAdvisoriesTable>): AdvisoryDetails {
  return {
    id: row.id,
    aliases: parseJson<string[]>(row.aliases),
    upstream: parseJson<string[]>(row.upstream),
    summary: row.summary,
    details: row.details,
    severity: parseJson<AdvisoryDetails['severity']>(row.severity),
    databaseSeverity: row.database_severity,
    references: parseJson<AdvisoryDetails['references']>(row.refs),
  };
}

async function affectedEntries(db: AdvisoryDb, keys: readonly PackageKey[]): Promise<AffectedRow[]> {
  const namesByEcosystem = new Map<string, Set<string>>();
  for (const key of keys) namesByEcosystem.set(key.ecosystem, (namesByEcosystem.get(key.ecosystem) ?? new Set()).add(key.name));
  const out: AffectedRow[] = [];
  for (const [ecosystem, names] of namesByEcosystem) {
    for (const chunk of chunks([...names])) {
      const rows = await db
        .selectFrom('osv_affected')
        .select(['advisory_id', 'package', 'spec'])
        .where('ecosystem', '=', ecosystem)
        .where('package', 'in', chunk)
        .execute();
      for (const row of rows) out.push({ ...parseJson<AffectedSpec>(row.spec), advisoryId: row.advisory_id, ecosystem, package: row.package });
    }
  }
  return out;
}

async function advisoriesById(db: AdvisoryDb, ids: readonly string[]): Promise<AdvisoryDetails[]> {
  const out: AdvisoryDetails[] = [];
  for (const chunk of chunks([...new Set(ids)])) {
    const rows = await db.selectFrom('osv_advisories').selectAll().where('id', 'in', chunk).where('withdrawn', 'is', null).execute();
    out.push(...rows.map(toDetails));
  }
  return out;
}

async function advisoriesNaming(db: AdvisoryDb, ids: readonly string[]): Promise<AdvisoryDetails[]> {
  const found = new Map<string, AdvisoryDetails>();
  for (const chunk of chunks([...new Set(ids)])) {
    const rows = await db
      .selectFrom('osv_advisories')
      .selectAll()
      .where('withdrawn', 'is', null)
      .where((eb) => eb.or([eb('id', 'in', chunk), eb('id', 'in', eb.selectFrom('osv_aliases').select('advisory_id').where('alias', 'in', chunk))]))
      .execute();
    for (const row of rows) found.set(row.id, toDetails(row));
  }
  return [...found.values()];
}

export function createAdvisoryLookup(db: AdvisoryDb): AdvisoryLookup {
  return {
    affectedEntries: (keys) => affectedEntries(db, keys),
    advisories: (ids) => advisoriesById(db, ids),
    advisoriesNaming: (ids) => advisoriesNaming(db, ids),
  };
}
