import type { Kysely } from 'kysely';
import type { StoredFinding } from '../domain/finding.js';
import { type PrioritisationRow, prioritise } from '../prioritisation/prioritised-finding.js';
import { riskOrder } from '../prioritisation/risk-order.js';
import { decodeCursor, decodeOffsetCursor, encodeCursor, encodeOffsetCursor } from './findings-cursor.js';
import { effectiveSeverity } from './image-counts.js';
import { toDate, toFinding } from './rows.js';
import type { FindingsPage, FindingsQuery } from './store.js';
import type { Database } from './tables.js';

export async function selectFindings(db: Kysely<Database>, configId: string, query: FindingsQuery): Promise<FindingsPage> {
  // Prioritisation is kept by CVE, never copied into finding rows. The page is chosen
  // first, joining the prioritisation tables only where a filter or the order needs them
  // (both databases drop an unused left join on a unique key); the page's CVEs are then
  // looked up, one statement per table.
  let page = db
    .selectFrom('findings')
    .innerJoin('images', 'images.id', 'findings.image_id')
    .leftJoin('kev_entries', 'kev_entries.cve', 'findings.cve')
    .leftJoin('epss_scores', 'epss_scores.cve', 'findings.cve')
    .leftJoin('nvd_cvss', 'nvd_cvss.cve', 'findings.cve')
    .selectAll('findings')
    .select(['images.tag', 'images.digest'])
    .leftJoin('suppressions', 'suppressions.id', 'findings.suppressed_by')
    .select([
      'suppressions.status as s_status',
      'suppressions.justification as s_justification',
      'suppressions.reason as s_reason',
      'suppressions.expires_at as s_expires_at',
    ])
    .where('findings.config_id', '=', configId);
  if (query.status === 'ACTIVE') page = page.where('findings.fixed_at', 'is', null).where('findings.suppressed_by', 'is', null);
  if (query.status === 'SUPPRESSED') page = page.where('findings.fixed_at', 'is', null).where('findings.suppressed_by', 'is not', null);
  if (query.status === 'FIXED') page = page.where('findings.fixed_at', 'is not', null);
  if (query.severities) page = page.where(effectiveSeverity, 'in', query.severities);
  if (query.kev) page = page.where('kev_entries.cve', 'is not', null);
  if (query.fixable) page = page.where('findings.fixed_version', 'is not', null);
  if (query.minEpss !== undefined && query.minEpss !== null) page = page.where('epss_scores.score', '>=', query.minEpss);
  const order = riskOrder(effectiveSeverity);
  const risk = query.sort === 'risk';
  const offset = risk && query.after !== null ? (decodeOffsetCursor(query.after) ?? 0) : 0;
  const after = !risk && query.after !== null ? decodeCursor(query.after) : null;
  if (after) {
    page = page.where((eb) =>
      eb.or([
        eb('findings.first_seen', '<', after.firstSeen),
        eb.and([eb('findings.first_seen', '=', after.firstSeen), eb('findings.id', '<', after.id)]),
      ]),
    );
  }
  if (risk) page = page.orderBy(order.kev, 'desc').orderBy(order.risk, 'desc').orderBy(order.weight, 'desc');
  page = page.orderBy('findings.first_seen', 'desc').orderBy('findings.id', 'desc').limit(query.limit + 1);
  if (offset > 0) page = page.offset(offset);
  const rows = await page.execute();
  const values = await prioritisationRows(db, rows.slice(0, query.limit).map((row) => row.cve));
  let next: string | null = null;
  const last = rows[query.limit - 1];
  if (rows.length > query.limit && last) next = risk ? encodeOffsetCursor(offset + query.limit) : encodeCursor(Number(last.first_seen), Number(last.id));
  const findings = rows.slice(0, query.limit).map((row): StoredFinding => {
    const finding = toFinding(row);
    return {
      ...finding,
      ...prioritise(finding.severity, finding.cvss, (row.cve === null ? undefined : values.get(row.cve)) ?? NO_PRIORITISATION),
      id: Number(row.id),
      configId: row.config_id,
      tag: row.tag,
      digest: row.digest,
      firstSeen: new Date(Number(row.first_seen)),
      lastSeen: new Date(Number(row.last_seen)),
      fixedAt: toDate(row.fixed_at),
      status: row.fixed_at !== null ? 'FIXED' : row.suppressed_by !== null ? 'SUPPRESSED' : 'ACTIVE',
      suppression:
        row.suppressed_by === null || row.s_status === null || row.s_reason === null
          ? null
          : { id: row.suppressed_by, status: row.s_status, justification: row.s_justification, reason: row.s_reason, expiresAt: toDate(row.s_expires_at) },
    };
  });
  return { findings, next };
}

const NO_PRIORITISATION: PrioritisationRow = {
  kev_date_added: null,
  kev_due_date: null,
  kev_ransomware: null,
  epss_score: null,
  epss_percentile: null,
  epss_date: null,
  nvd_severity: null,
  nvd_score: null,
  nvd_vector: null,
};

/** The prioritisation data of these CVEs, by CVE. */
async function prioritisationRows(db: Kysely<Database>, cves: Array<string | null>): Promise<Map<string, PrioritisationRow>> {
  const wanted = [...new Set(cves.filter((cve): cve is string => cve !== null))];
  const rows = new Map<string, PrioritisationRow>();
  if (wanted.length === 0) return rows;
  const entry = (cve: string): PrioritisationRow => {
    let row = rows.get(cve);
    if (!row) {
      row = { ...NO_PRIORITISATION };
      rows.set(cve, row);
    }
    return row;
  };
  const [kev, epss, nvd] = await Promise.all([
    db.selectFrom('kev_entries').selectAll().where('cve', 'in', wanted).execute(),
    db.selectFrom('epss_scores').selectAll().where('cve', 'in', wanted).execute(),
    db.selectFrom('nvd_cvss').select(['cve', 'severity', 'score', 'vector']).where('cve', 'in', wanted).execute(),
  ]);
  for (const row of kev) Object.assign(entry(row.cve), { kev_date_added: row.date_added, kev_due_date: row.due_date, kev_ransomware: row.ransomware });
  for (const row of epss) Object.assign(entry(row.cve), { epss_score: row.score, epss_percentile: row.percentile, epss_date: row.date });
  for (const row of nvd) Object.assign(entry(row.cve), { nvd_severity: row.severity, nvd_score: row.score, nvd_vector: row.vector });
  return rows;
}
