import type { Kysely, Selectable, Transaction } from 'kysely';
import type { OsvAdvisoriesTable, OsvSourcesTable } from '../../../store/advisory-tables.js';
import type { Database } from '../../../store/tables.js';
import { type AdvisoryLookup, type AffectedRow, type NamedAdvisory, type PackageKey, packageKey } from './advisory-lookup.js';
import { type Advisory, type AdvisorySummary, type AffectedSpec, namesOf, summaryOf } from './advisory.js';

/**
 * Advisories in the service's database: plain functions over Kysely, the same SQL on
 * SQLite and PostgreSQL. Withdrawn records keep their row (so that an older copy of
 * them is not imported again) but lose their affected and alias rows, so lookups never
 * see them.
 */

// The service's database; only its advisory tables (store/advisory-tables.ts) are used here.
export type AdvisoryDb = Kysely<Database>;

// Rows per INSERT and ids per IN list: far below SQLite's 32,766 and PostgreSQL's 65,535
// parameters. Reads take larger lists: fewer statements for an inventory of thousands.
const CHUNK = 500;
const READ_CHUNK = 2_000;

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

function advisoryRow(advisory: Advisory, summary: AdvisorySummary, source: string): OsvAdvisoriesTable {
  return {
    id: advisory.id,
    modified: advisory.modified,
    published: advisory.published,
    withdrawn: advisory.withdrawn,
    source,
    summary: JSON.stringify(summary),
  };
}

/** The entry's matching data as stored; empty lists are left out, as most entries have only ranges. */
type StoredSpec = Partial<AffectedSpec>;

function specOf(entry: AffectedSpec): string {
  const spec: StoredSpec = { ranges: entry.ranges };
  if (entry.versions.length > 0) spec.versions = entry.versions;
  if (entry.severity.length > 0) spec.severity = entry.severity;
  if (entry.cves.length > 0) spec.cves = entry.cves;
  return JSON.stringify(spec);
}

const NONE: never[] = [];

/**
 * Inserts or replaces these advisories, their affected entries and names, in one
 * transaction, with a record of what it changed (see `recordChange`).
 */
export async function saveAdvisories(db: AdvisoryDb, advisories: readonly Advisory[], source: string, now: number = Date.now()): Promise<void> {
  if (advisories.length === 0) return;
  const latest = new Map<string, Advisory>();
  for (const advisory of advisories) {
    const known = latest.get(advisory.id);
    if (!known || known.modified < advisory.modified) latest.set(advisory.id, advisory);
  }
  // Sorted, so that imports writing overlapping records at once lock them in one order.
  const sorted = [...latest.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await db.transaction().execute(async (trx) => {
    const known = await storedIds(trx, sorted.map((advisory) => advisory.id));
    // The advisory rows first: on PostgreSQL this locks them, so that another import writing
    // the same records waits here until this one commits. A stored copy newer than this one
    // (written meanwhile) is kept, and its entries with it.
    const applied = new Set<string>();
    for (const chunk of chunks(sorted.map((advisory) => advisoryRow(advisory, summaryOf(advisory), source)))) {
      const rows = await trx
        .insertInto('osv_advisories')
        .values(chunk)
        .onConflict((conflict) =>
          conflict
            .column('id')
            .doUpdateSet((eb) => ({
              modified: eb.ref('excluded.modified'),
              published: eb.ref('excluded.published'),
              withdrawn: eb.ref('excluded.withdrawn'),
              source: eb.ref('excluded.source'),
              summary: eb.ref('excluded.summary'),
            }))
            .where((eb) => eb('osv_advisories.modified', '<=', eb.ref('excluded.modified'))),
        )
        .returning('id')
        .execute();
      for (const row of rows) applied.add(row.id);
    }
    const written = sorted.filter((advisory) => applied.has(advisory.id));
    const ids = written.map((advisory) => advisory.id);
    const before = await storedPackages(trx, ids);
    for (const chunk of chunks(ids)) {
      await trx.deleteFrom('osv_affected').where('advisory_id', 'in', chunk).execute();
      await trx.deleteFrom('osv_aliases').where('advisory_id', 'in', chunk).execute();
    }
    const live = written.filter((advisory) => advisory.withdrawn === null);
    const affected = live.flatMap((advisory) =>
      advisory.affected.map((entry, position) => ({ ecosystem: entry.ecosystem, package: entry.package, advisory_id: advisory.id, position, spec: specOf(entry) })),
    );
    for (const chunk of chunks(affected)) await trx.insertInto('osv_affected').values(chunk).execute();
    const names = live.flatMap((advisory) => namesOf(advisory).map((alias) => ({ alias, advisory_id: advisory.id })));
    for (const chunk of chunks(names)) await trx.insertInto('osv_aliases').values(chunk).execute();
    if (written.length > 0) await recordChange(trx, { source, now, advisories: written, before: { known, packages: before }, after: affected });
  });
}

interface StoredState {
  /** Ids already stored, withdrawn or not. */
  known: Set<string>;
  /** `[ecosystem, package]` of the affected entries the stored copies had. */
  packages: Array<[string, string]>;
}

async function storedIds(trx: Transaction<Database>, ids: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const chunk of chunks(ids)) {
    for (const row of await trx.selectFrom('osv_advisories').select('id').where('id', 'in', chunk).execute()) known.add(row.id);
  }
  return known;
}

/** `[ecosystem, package]` of the affected entries stored for these advisories. */
async function storedPackages(trx: Transaction<Database>, ids: readonly string[]): Promise<Array<[string, string]>> {
  const packages: Array<[string, string]> = [];
  for (const chunk of chunks(ids)) {
    const rows = await trx.selectFrom('osv_affected').select(['ecosystem', 'package']).where('advisory_id', 'in', chunk).execute();
    for (const row of rows) packages.push([row.ecosystem, row.package]);
  }
  return packages;
}

interface ChangeRecord {
  source: string;
  now: number;
  advisories: readonly Advisory[];
  before: StoredState;
  after: ReadonlyArray<{ ecosystem: string; package: string }>;
}

/**
 * Records which advisories the batch added, changed or withdrew and every package they
 * named before or after, in the batch's transaction: the queue the re-match claims from
 * (src/scanners/builtin/rematch). A batch that names no package needs no re-match and is
 * recorded as done.
 */
async function recordChange(trx: Transaction<Database>, change: ChangeRecord): Promise<void> {
  const added: string[] = [];
  const changed: string[] = [];
  const withdrawn: string[] = [];
  for (const advisory of change.advisories) {
    if (advisory.withdrawn !== null) withdrawn.push(advisory.id);
    else if (change.before.known.has(advisory.id)) changed.push(advisory.id);
    else added.push(advisory.id);
  }
  const pairs = new Map<string, [string, string]>();
  for (const [ecosystem, name] of change.before.packages) pairs.set(packageKey(ecosystem, name), [ecosystem, name]);
  for (const row of change.after) pairs.set(packageKey(row.ecosystem, row.package), [row.ecosystem, row.package]);
  await trx
    .insertInto('advisory_changes')
    .values({
      source: change.source,
      created_at: change.now,
      advisories: JSON.stringify({ added, changed, withdrawn }),
      packages: JSON.stringify([...pairs.values()]),
      lease_owner: null,
      lease_expires_at: null,
      done_at: pairs.size === 0 ? change.now : null,
    })
    .execute();
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

/** Records a source's import attempt and its error (null on success), for GET /advisories. */
export async function saveAttempt(db: AdvisoryDb, source: string, attemptedAt: number, error: string | null): Promise<void> {
  await db
    .insertInto('osv_source_attempts')
    .values({ source, attempted_at: attemptedAt, error })
    .onConflict((conflict) => conflict.column('source').doUpdateSet({ attempted_at: attemptedAt, error }))
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

async function* affectedEntries(db: AdvisoryDb, keys: readonly PackageKey[]): AsyncGenerator<AffectedRow[]> {
  const namesByEcosystem = new Map<string, Set<string>>();
  for (const key of keys) namesByEcosystem.set(key.ecosystem, (namesByEcosystem.get(key.ecosystem) ?? new Set()).add(key.name));
  for (const [ecosystem, names] of namesByEcosystem) {
    for (const chunk of chunks([...names], READ_CHUNK)) {
      const rows = await db.selectFrom('osv_affected').select(['package', 'advisory_id', 'spec']).where('ecosystem', '=', ecosystem).where('package', 'in', chunk).execute();
      const batch: AffectedRow[] = [];
      for (const row of rows) {
        const spec = parseJson<StoredSpec>(row.spec);
        batch.push({
          ecosystem,
          package: row.package,
          advisoryId: row.advisory_id,
          ranges: spec.ranges ?? NONE,
          versions: spec.versions ?? NONE,
          severity: spec.severity ?? NONE,
          cves: spec.cves ?? NONE,
        });
      }
      yield batch;
    }
  }
}

async function advisoriesNamed(db: AdvisoryDb, names: readonly string[]): Promise<NamedAdvisory[]> {
  const out: NamedAdvisory[] = [];
  for (const chunk of chunks([...new Set(names)], READ_CHUNK)) {
    const rows = await db.selectFrom('osv_aliases').select(['alias', 'advisory_id']).where('alias', 'in', chunk).execute();
    for (const row of rows) out.push({ name: row.alias, advisoryId: row.advisory_id });
  }
  return out;
}

async function advisoriesById(db: AdvisoryDb, ids: readonly string[]): Promise<AdvisorySummary[]> {
  const out: AdvisorySummary[] = [];
  for (const chunk of chunks([...new Set(ids)], READ_CHUNK)) {
    const rows = await db.selectFrom('osv_advisories').select('summary').where('id', 'in', chunk).where('withdrawn', 'is', null).execute();
    for (const row of rows) out.push(parseJson<AdvisorySummary>(row.summary));
  }
  return out;
}

/** An index seek on the primary key (ecosystem first): `base` itself, or `base:` and any release after it. */
async function hasEcosystem(db: AdvisoryDb, base: string): Promise<boolean> {
  const row = await db
    .selectFrom('osv_affected')
    .select('ecosystem')
    .where((eb) => eb.or([eb('ecosystem', '=', base), eb.and([eb('ecosystem', '>=', `${base}:`), eb('ecosystem', '<', `${base};`)])]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function createAdvisoryLookup(db: AdvisoryDb): AdvisoryLookup {
  return {
    hasEcosystem: (base) => hasEcosystem(db, base),
    affectedEntries: (keys) => affectedEntries(db, keys),
    advisoriesNamed: (names) => advisoriesNamed(db, names),
    advisories: (ids) => advisoriesById(db, ids),
  };
}
