import { type Kysely, sql, type Transaction } from 'kysely';
import type { EpssScore, KevListing } from '../domain/finding.js';
import type { Database } from '../store/tables.js';
import { isCveId } from './cve-key.js';
import type { EpssFile } from './epss-csv.js';
import { applyFindingUpdates, type PreviousValues } from './finding-updates.js';
import type { KevCatalogue } from './kev-catalogue.js';
import type { NvdCvssRow } from './nvd-records.js';
import { epssBand, type NvdScore } from './prioritised-finding.js';
import type { Validators } from './source-fetch.js';

/**
 * The prioritisation tables: plain functions over Kysely, the same SQL on SQLite and
 * PostgreSQL. KEV and EPSS are whole documents and replace their table; NVD records
 * arrive from several files and are kept by `lastModified`, newest wins.
 */

export type PrioritisationDb = Kysely<Database>;
export type SourceKind = 'kev' | 'epss' | 'nvd';

export interface SourceState extends Validators {
  sha256: string | null;
}

export interface ImportedDocument {
  sha256: string;
  validators: Validators;
}

/** What one import wrote: rows stored, and finding.changed events it caused. */
export interface ImportCounts {
  records: number;
  events: number;
}

// Rows per INSERT: 4 columns × 5,000 stays below SQLite's 32,766 bound parameters.
const INSERT_CHUNK = 5000;
// Rows per INSERT of literals: some 400 KB of SQL per statement.
const LITERAL_CHUNK = 10_000;
const NVD_CHUNK = 2000;

export async function readSourceState(db: PrioritisationDb, source: string): Promise<SourceState> {
  const row = await db.selectFrom('enrichment_sources').select(['etag', 'last_modified', 'sha256']).where('source', '=', source).executeTakeFirst();
  return { etag: row?.etag ?? null, lastModified: row?.last_modified ?? null, sha256: row?.sha256 ?? null };
}

async function upsertSource(
  db: PrioritisationDb | Transaction<Database>,
  source: string,
  kind: SourceKind,
  values: Partial<{ etag: string | null; last_modified: string | null; sha256: string | null; imported_at: number; records: number; data_version: string | null; attempted_at: number; error: string | null }>,
): Promise<void> {
  await db
    .insertInto('enrichment_sources')
    .values({ source, kind, records: 0, ...values })
    .onConflict((oc) => oc.column('source').doUpdateSet({ kind, ...values }))
    .execute();
}

/** The attempt's outcome: an error, or success when the source was found unchanged (its data stays current). */
export async function recordAttempt(db: PrioritisationDb, source: string, kind: SourceKind, now: number, error: string | null): Promise<void> {
  await upsertSource(db, source, kind, error === null ? { attempted_at: now, error: null, imported_at: now } : { attempted_at: now, error });
}

function documentColumns(document: ImportedDocument, now: number) {
  return { etag: document.validators.etag, last_modified: document.validators.lastModified, sha256: document.sha256, imported_at: now, attempted_at: now, error: null };
}

export async function replaceKev(db: PrioritisationDb, source: string, catalogue: KevCatalogue, document: ImportedDocument, now: number): Promise<ImportCounts> {
  const next = new Map(catalogue.entries.map((entry) => [entry.cve, entry]));
  return db.transaction().execute(async (trx) => {
    const stored = await trx.selectFrom('kev_entries').selectAll().execute();
    const announce = stored.length > 0;
    const changed = new Map<string, PreviousValues>();
    for (const row of stored) {
      const entry = next.get(row.cve);
      const before: KevListing = { dateAdded: row.date_added, dueDate: row.due_date, knownRansomwareCampaignUse: Number(row.ransomware) === 1 ? 'Known' : 'Unknown' };
      if (!entry || entry.dateAdded !== row.date_added || entry.dueDate !== row.due_date || entry.ransomware !== (Number(row.ransomware) === 1)) changed.set(row.cve, { kev: before });
    }
    const storedCves = new Set(stored.map((row) => row.cve));
    for (const cve of next.keys()) if (!storedCves.has(cve)) changed.set(cve, { kev: null });
    await trx.deleteFrom('kev_entries').execute();
    const rows = [...next.values()].map((entry) => ({ cve: entry.cve, date_added: entry.dateAdded, due_date: entry.dueDate, ransomware: entry.ransomware ? 1 : 0 }));
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) await trx.insertInto('kev_entries').values(rows.slice(start, start + INSERT_CHUNK)).execute();
    const events = await applyFindingUpdates(trx, changed, now, { announce, affectsCounts: true });
    await upsertSource(trx, source, 'kev', { ...documentColumns(document, now), records: rows.length, data_version: catalogue.catalogVersion });
    return { records: rows.length, events };
  });
}

export async function replaceEpss(db: PrioritisationDb, source: string, file: EpssFile, document: ImportedDocument, now: number): Promise<ImportCounts> {
  return db.transaction().execute(async (trx) => {
    const announce = (await trx.selectFrom('epss_scores').select('cve').limit(1).execute()).length > 0;
    const changed = announce ? await epssChanges(trx, file) : new Map<string, PreviousValues>();
    await trx.deleteFrom('epss_scores').execute();
    await insertEpssRows(trx, file);
    const events = await applyFindingUpdates(trx, changed, now, { announce, affectsCounts: false });
    const version = [file.modelVersion, file.scoreDate].filter((part) => part !== null).join(' ') || null;
    await upsertSource(trx, source, 'epss', { ...documentColumns(document, now), records: file.rows.length, data_version: version });
    return { records: file.rows.length, events };
  });
}

/**
 * The CVEs of open findings whose EPSS score enters another tenth (EPSS changes neither
 * severities nor counts: only that is worth an event). Only those CVEs' stored scores are
 * read, not the whole table: most of a file's 300,000 CVEs concern no finding.
 */
async function epssChanges(trx: Transaction<Database>, file: EpssFile): Promise<Map<string, PreviousValues>> {
  const open = trx.selectFrom('findings').select('cve').where('fixed_at', 'is', null).where('cve', 'is not', null);
  const stored = await trx.selectFrom('epss_scores').select(['cve', 'score', 'percentile', 'date']).where('cve', 'in', open).execute();
  const before = new Map<string, EpssScore>(stored.map((row) => [row.cve, { score: Number(row.score), percentile: Number(row.percentile), date: row.date }]));
  const concerned = new Set((await open.distinct().execute()).map((row) => row.cve as string));
  const changed = new Map<string, PreviousValues>();
  const seen = new Set<string>();
  for (const row of file.rows) {
    if (!concerned.has(row.cve)) continue;
    seen.add(row.cve);
    const old = before.get(row.cve) ?? null;
    if (epssBand(old) !== epssBand({ score: row.score, percentile: row.percentile, date: null })) changed.set(row.cve, { epss: old });
  }
  for (const [cve, old] of before) if (!seen.has(cve) && epssBand(old) !== 0) changed.set(cve, { epss: old });
  return changed;
}

/**
 * 300,000 rows as literals rather than bound parameters: building and binding 1.2 million
 * parameters cost more than the database's own work (bench/README.md). Safe only because
 * the parser let through nothing else: CVE ids match `CVE-\d{4}-\d{4,}`, scores are finite
 * numbers from 0 to 1, the date is `YYYY-MM-DD` or absent.
 */
async function insertEpssRows(trx: Transaction<Database>, file: EpssFile): Promise<void> {
  if (file.scoreDate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(file.scoreDate)) throw new Error('EPSS score date is not YYYY-MM-DD');
  const date = file.scoreDate === null ? 'null' : `'${file.scoreDate}'`;
  for (let start = 0; start < file.rows.length; start += LITERAL_CHUNK) {
    const values = file.rows.slice(start, start + LITERAL_CHUNK).map((row) => {
      if (!isCveId(row.cve) || !Number.isFinite(row.score) || !Number.isFinite(row.percentile)) throw new Error(`EPSS row ${row.cve} is not valid`);
      return `('${row.cve}',${row.score},${row.percentile},${date})`;
    });
    await sql`insert into epss_scores (cve, score, percentile, date) values ${sql.raw(values.join(','))}`.execute(trx);
  }
}

export async function upsertNvd(db: PrioritisationDb, source: string, rows: NvdCvssRow[], document: ImportedDocument, now: number): Promise<ImportCounts> {
  const latest = new Map<string, NvdCvssRow>();
  for (const row of rows) {
    const known = latest.get(row.cve);
    if (!known || row.modified >= known.modified) latest.set(row.cve, row);
  }
  return db.transaction().execute(async (trx) => {
    const announce = (await trx.selectFrom('nvd_cvss').select('cve').limit(1).execute()).length > 0;
    const changed = new Map<string, PreviousValues>();
    let written = 0;
    const all = [...latest.values()];
    for (let start = 0; start < all.length; start += NVD_CHUNK) {
      const chunk = all.slice(start, start + NVD_CHUNK);
      const stored = await trx
        .selectFrom('nvd_cvss')
        .selectAll()
        .where(
          'cve',
          'in',
          chunk.map((row) => row.cve),
        )
        .execute();
      const byCve = new Map(stored.map((row) => [row.cve, row]));
      const newer = chunk.filter((row) => {
        const old = byCve.get(row.cve);
        return !old || row.modified > Number(old.modified);
      });
      for (const row of newer) {
        const old = byCve.get(row.cve);
        const previous: NvdScore | null = old ? { severity: old.severity as NvdScore['severity'], score: Number(old.score), vector: old.vector } : null;
        if (!previous || previous.severity !== row.severity || previous.score !== row.score || previous.vector !== row.vector) changed.set(row.cve, { nvd: previous });
      }
      for (let i = 0; i < newer.length; i += 500) {
        await trx
          .insertInto('nvd_cvss')
          .values(newer.slice(i, i + 500).map((row) => ({ cve: row.cve, severity: row.severity, score: row.score, vector: row.vector, modified: row.modified, source })))
          .onConflict((oc) =>
            oc.column('cve').doUpdateSet((eb) => ({
              severity: eb.ref('excluded.severity'),
              score: eb.ref('excluded.score'),
              vector: eb.ref('excluded.vector'),
              modified: eb.ref('excluded.modified'),
              source: eb.ref('excluded.source'),
            })),
          )
          .execute();
      }
      written += newer.length;
    }
    const events = await applyFindingUpdates(trx, changed, now, { announce, affectsCounts: true });
    const total = await trx
      .selectFrom('nvd_cvss')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source', '=', source)
      .executeTakeFirstOrThrow();
    await upsertSource(trx, source, 'nvd', { ...documentColumns(document, now), records: Number(total.n), data_version: null });
    return { records: written, events };
  });
}
