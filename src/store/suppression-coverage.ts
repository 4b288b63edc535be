import type { Selectable, Transaction } from 'kysely';
import { type Suppression, type SuppressionStatus, suppressionIndex, type VexJustification } from '../triage/suppression.js';
import { toDate } from './rows.js';
import type { Database, SuppressionsTable } from './tables.js';

// Ids per `IN (…)` list and patterns per `OR` of LIKEs: far below every dialect's parameter limit.
const ID_CHUNK = 1000;
const PATTERN_CHUNK = 50;
// Findings per page of a full pass: bounded memory whatever the table's size.
const SCAN_PAGE = 20_000;

export function toSuppression(row: Selectable<SuppressionsTable>): Suppression {
  return {
    id: row.id,
    vulnerability: row.vulnerability,
    package: row.package,
    configId: row.config_id,
    repository: row.repository,
    tag: row.tag,
    status: row.status as SuppressionStatus,
    justification: row.justification as VexJustification | null,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    expiresAt: toDate(row.expires_at),
    expiredAt: toDate(row.expired_at),
  };
}

/** What a recomputation changed, and the images to recount. */
export interface CoverageChange {
  /** Open findings suppressed or given back, per configuration, under the suppression that took or let go of them. */
  bySuppression: Map<string, Map<string, number>>;
  images: Set<number>;
  /** Every configuration with a finding whose suppression changed, open or fixed: their pages change. */
  configs: Set<string>;
  /** Open findings that left or came back to the counts, for their events. */
  moved: MovedFinding[];
}

export interface MovedFinding {
  findingId: number;
  configId: string;
  tag: string;
  digest: string | null;
  severity: string;
  /** The suppression now covering it, or null when it counts again. */
  suppressionId: string | null;
}

interface CandidateRow {
  id: number;
  config_id: string;
  image_id: number;
  name: string;
  package: string;
  aliases: string;
  suppressed_by: string | null;
  fixed_at: number | null;
  severity: string;
  tag: string;
  digest: string | null;
  repository: string;
}

/**
 * Recomputes which suppression covers every finding that goes by one of `vulnerabilities`
 * (as its name or an alias), against the suppressions active at `now`. Fixed findings are
 * kept up to date too, so that one reopened by a later scan is suppressed from the start.
 */
export async function recomputeCoverage(trx: Transaction<Database>, vulnerabilities: readonly string[], now: number): Promise<CoverageChange> {
  const change: CoverageChange = { bySuppression: new Map(), images: new Set(), configs: new Set(), moved: [] };
  const candidates = await findingsGoingBy(trx, [...new Set(vulnerabilities)]);
  if (candidates.length === 0) return change;
  const ids = new Set<string>();
  const aliasesOf = new Map<number, string[]>();
  for (const row of candidates) {
    const aliases = JSON.parse(row.aliases) as string[];
    aliasesOf.set(row.id, aliases);
    ids.add(row.name);
    for (const alias of aliases) ids.add(alias);
  }
  const coverOf = suppressionIndex(await activeSuppressions(trx, [...ids], now));
  const moves = new Map<string | null, number[]>();
  for (const row of candidates) {
    const cover = coverOf({ ...row, aliases: aliasesOf.get(row.id) ?? [], configId: row.config_id })?.id ?? null;
    if (cover === row.suppressed_by) continue;
    const list = moves.get(cover) ?? [];
    list.push(row.id);
    moves.set(cover, list);
    change.configs.add(row.config_id);
    // Moving from one suppression to another changes nothing a reader counts.
    if (row.fixed_at === null && (cover === null) !== (row.suppressed_by === null)) {
      count(change, cover ?? row.suppressed_by ?? '', row.config_id);
      change.images.add(row.image_id);
      change.moved.push({ findingId: row.id, configId: row.config_id, tag: row.tag, digest: row.digest, severity: row.severity, suppressionId: cover });
    }
  }
  for (const [cover, findingIds] of moves) {
    for (let start = 0; start < findingIds.length; start += ID_CHUNK) {
      await trx.updateTable('findings').set({ suppressed_by: cover }).where('id', 'in', findingIds.slice(start, start + ID_CHUNK)).execute();
    }
  }
  return change;
}

function count(change: CoverageChange, suppressionId: string, configId: string): void {
  const byConfig = change.bySuppression.get(suppressionId) ?? new Map<string, number>();
  byConfig.set(configId, (byConfig.get(configId) ?? 0) + 1);
  change.bySuppression.set(suppressionId, byConfig);
}

/**
 * Findings named by, or aliasing, any of the ids. A few ids: a LIKE over the aliases' JSON
 * narrows in the database and the exact match is done here. Many (an OpenVEX import): one
 * pass over every finding in pages, matched here against a set, since each LIKE list is a
 * full scan of its own.
 */
async function findingsGoingBy(trx: Transaction<Database>, vulnerabilities: string[]): Promise<CandidateRow[]> {
  if (vulnerabilities.length > PATTERN_CHUNK * 2) return everyFindingGoingBy(trx, new Set(vulnerabilities));
  const rows: CandidateRow[] = [];
  const seen = new Set<number>();
  for (let start = 0; start < vulnerabilities.length; start += PATTERN_CHUNK) {
    const chunk = vulnerabilities.slice(start, start + PATTERN_CHUNK);
    const found = await candidates(trx)
      .where((eb) => eb.or([eb('findings.name', 'in', chunk), ...chunk.map((id) => eb('findings.aliases', 'like', `%${JSON.stringify(id)}%`))]))
      .execute();
    for (const row of found) {
      const candidate = toCandidate(row);
      if (seen.has(candidate.id)) continue;
      seen.add(candidate.id);
      rows.push(candidate);
    }
  }
  return rows;
}

async function everyFindingGoingBy(trx: Transaction<Database>, vulnerabilities: ReadonlySet<string>): Promise<CandidateRow[]> {
  const rows: CandidateRow[] = [];
  let after = 0;
  for (;;) {
    const page = await candidates(trx).where('findings.id', '>', after).orderBy('findings.id').limit(SCAN_PAGE).execute();
    for (const row of page) {
      if (vulnerabilities.has(row.name) || (row.aliases !== '[]' && (JSON.parse(row.aliases) as string[]).some((alias) => vulnerabilities.has(alias)))) {
        rows.push(toCandidate(row));
      }
    }
    const last = page.at(-1);
    if (!last || page.length < SCAN_PAGE) return rows;
    after = Number(last.id);
  }
}

function candidates(trx: Transaction<Database>) {
  return trx
    .selectFrom('findings')
    .innerJoin('images', 'images.id', 'findings.image_id')
    .innerJoin('configs', 'configs.id', 'findings.config_id')
    .select([
      'findings.id',
      'findings.config_id',
      'findings.image_id',
      'findings.name',
      'findings.package',
      'findings.aliases',
      'findings.suppressed_by',
      'findings.fixed_at',
      'findings.severity',
      'images.tag',
      'images.digest',
      'configs.repository',
    ]);
}

type CandidateSelect = Awaited<ReturnType<ReturnType<typeof candidates>['execute']>>[number];

function toCandidate(row: CandidateSelect): CandidateRow {
  return { ...row, id: Number(row.id), image_id: Number(row.image_id), fixed_at: row.fixed_at === null ? null : Number(row.fixed_at) };
}

/** Suppressions of these vulnerabilities that cover findings at `now`. */
async function activeSuppressions(trx: Transaction<Database>, vulnerabilities: string[], now: number): Promise<Suppression[]> {
  const found: Suppression[] = [];
  for (let start = 0; start < vulnerabilities.length; start += ID_CHUNK) {
    const rows = await trx
      .selectFrom('suppressions')
      .selectAll()
      .where('vulnerability', 'in', vulnerabilities.slice(start, start + ID_CHUNK))
      .where('expired_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    found.push(...rows.map(toSuppression));
  }
  return found;
}

/** The suppressions that may apply to one configuration during one commit, read once per commit. */
const perCommit = new WeakMap<Transaction<Database>, Map<string, Promise<ConfigSuppressions>>>();

interface ConfigSuppressions {
  repository: string;
  coverOf: ReturnType<typeof suppressionIndex<Suppression>> | null;
}

function suppressionsOfConfig(trx: Transaction<Database>, configId: string, now: number): Promise<ConfigSuppressions> {
  let byConfig = perCommit.get(trx);
  if (!byConfig) {
    byConfig = new Map();
    perCommit.set(trx, byConfig);
  }
  let loaded = byConfig.get(configId);
  if (!loaded) {
    loaded = (async () => {
      const rows = await trx
        .selectFrom('suppressions')
        .selectAll()
        .where('expired_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('config_id', 'is', null), eb('config_id', '=', configId)]))
        .execute();
      if (rows.length === 0) return { repository: '', coverOf: null };
      const config = await trx.selectFrom('configs').select('repository').where('id', '=', configId).executeTakeFirstOrThrow();
      return { repository: config.repository, coverOf: suppressionIndex(rows.map(toSuppression)) };
    })();
    byConfig.set(configId, loaded);
  }
  return loaded;
}

/**
 * Sets which suppression covers each finding of an image a scan just wrote, and returns
 * the ids of those suppressed: their events are left out, so that they notify no one.
 * Without any suppression for the configuration it reads nothing more.
 */
export async function coverImageFindings(trx: Transaction<Database>, configId: string, imageId: number, tag: string, now: number): Promise<Set<number>> {
  const suppressed = new Set<number>();
  const { repository, coverOf } = await suppressionsOfConfig(trx, configId, now);
  // Suppressions that expired or went were cleared from their findings in that same transaction.
  if (coverOf === null) return suppressed;
  const rows = await trx.selectFrom('findings').select(['id', 'name', 'package', 'aliases', 'suppressed_by']).where('image_id', '=', imageId).execute();
  const moves = new Map<string | null, number[]>();
  for (const row of rows) {
    const id = Number(row.id);
    const cover = coverOf({ name: row.name, aliases: JSON.parse(row.aliases) as string[], package: row.package, configId, repository, tag })?.id ?? null;
    if (cover !== null) suppressed.add(id);
    if (cover === row.suppressed_by) continue;
    const list = moves.get(cover) ?? [];
    list.push(id);
    moves.set(cover, list);
  }
  for (const [cover, ids] of moves) {
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      await trx.updateTable('findings').set({ suppressed_by: cover }).where('id', 'in', ids.slice(start, start + ID_CHUNK)).execute();
    }
  }
  return suppressed;
}
