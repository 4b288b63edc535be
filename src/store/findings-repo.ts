import type { Kysely } from 'kysely';
import type { StoredFinding } from '../domain/finding.js';
import type { ConfigStatus } from '../domain/scan-config.js';
import { decodeCursor, encodeCursor } from './findings-cursor.js';
import { toDate, toFinding, toImageState } from './rows.js';
import type { FindingsPage, FindingsQuery, SummaryConfig } from './store.js';
import type { Database } from './tables.js';

export async function selectFindings(db: Kysely<Database>, configId: string, query: FindingsQuery): Promise<FindingsPage> {
  let select = db
    .selectFrom('findings')
    .innerJoin('images', 'images.id', 'findings.image_id')
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
  if (query.status === 'ACTIVE') select = select.where('findings.fixed_at', 'is', null).where('findings.suppressed_by', 'is', null);
  if (query.status === 'SUPPRESSED') select = select.where('findings.fixed_at', 'is', null).where('findings.suppressed_by', 'is not', null);
  if (query.status === 'FIXED') select = select.where('findings.fixed_at', 'is not', null);
  if (query.severities) select = select.where('findings.severity', 'in', query.severities);
  const after = query.after === null ? null : decodeCursor(query.after);
  if (after) {
    select = select.where((eb) =>
      eb.or([
        eb('findings.first_seen', '<', after.firstSeen),
        eb.and([eb('findings.first_seen', '=', after.firstSeen), eb('findings.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy('findings.first_seen', 'desc')
    .orderBy('findings.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const findings = page.map(
    (row): StoredFinding => ({
      ...toFinding(row),
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
    }),
  );
  const next = rows.length > query.limit && last ? encodeCursor(Number(last.first_seen), Number(last.id)) : null;
  return { findings, next };
}

export async function selectSummary(db: Kysely<Database>): Promise<SummaryConfig[]> {
  const [configs, images] = await Promise.all([
    db
      .selectFrom('configs')
      .select(['id', 'region', 'registry', 'repository', 'status', 'last_scan_at', 'last_error'])
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('images').selectAll().where('removed_at', 'is', null).orderBy('config_id').orderBy('tag').execute(),
  ]);
  const byConfig = new Map<string, SummaryConfig>();
  const summary = configs.map((row): SummaryConfig => {
    const config: SummaryConfig = {
      id: row.id,
      region: row.region,
      registry: row.registry,
      repository: row.repository,
      status: row.status as ConfigStatus,
      lastScan: toDate(row.last_scan_at),
      lastError: row.last_error,
      images: [],
    };
    byConfig.set(row.id, config);
    return config;
  });
  for (const image of images) byConfig.get(image.config_id)?.images.push(toImageState(image));
  return summary;
}
