import { type Kysely, type Selectable, sql } from 'kysely';
import type { ConfigStatus } from '../domain/scan-config.js';
import type { Severity } from '../domain/severity.js';
import { toDate, toImageState } from './rows.js';
import type { ImageState } from '../domain/image.js';
import type { SummaryConfig, SummaryConfigRow, SummaryPage, SummaryPageQuery } from './store.js';
import type { ConfigsTable, Database } from './tables.js';

/** The images table's count column of each severity. */
const COUNT_COLUMN = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFORMATIONAL: 'informational',
  UNDEFINED: 'undefined',
} as const satisfies Record<Severity, string>;

/** Opaque position of a summary page: the (created_at, id) of the last configuration shown. */
export function encodeSummaryCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one `encodeSummaryCursor` could have made. */
export function decodeSummaryCursor(cursor: string): { createdAt: number; id: string } | null {
  const match = /^([0-9]{1,16})\.([0-9a-f-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  const position = { createdAt: Number(match[1]), id: match[2] ?? '' };
  return encodeSummaryCursor(position.createdAt, position.id) === cursor ? position : null;
}

/** A `*` glob as a LIKE pattern: `%` and `_` taken literally (escaped with `\`), `*` any run of characters. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

/**
 * One page of the summary: the configurations that match, in the unfiltered summary's order
 * (registration), each with its current images. Two indexed queries whatever the number of
 * findings: the counts are the images' stored ones, refreshed by every scan commit.
 */
export async function selectSummaryPage(db: Kysely<Database>, query: SummaryPageQuery): Promise<SummaryPage> {
  let configs = db
    .selectFrom('configs')
    .select(['id', 'created_at', 'region', 'registry', 'repository', 'status', 'last_scan_at', 'last_error'])
    .orderBy('created_at')
    .orderBy('id');
  if (query.repository !== null) configs = configs.where(sql<boolean>`repository like ${globToLike(query.repository)} escape '\\'`);
  if (query.statuses !== null) configs = configs.where('status', 'in', query.statuses);
  const severities = query.severities;
  if (severities !== null) {
    configs = configs.where(({ exists, selectFrom, or, eb }) =>
      exists(
        selectFrom('images')
          .select('images.id')
          .whereRef('images.config_id', '=', 'configs.id')
          .where('images.removed_at', 'is', null)
          .where(or(severities.map((severity) => eb(sql.ref(`images.${COUNT_COLUMN[severity]}`), '>', 0)))),
      ),
    );
  }
  const after = query.after === null ? null : decodeSummaryCursor(query.after);
  if (after) {
    configs = configs.where((eb) =>
      eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
    );
  }
  if (query.limit !== null) configs = configs.limit(query.limit + 1);
  const rows = await configs.execute();
  const shown = query.limit === null ? rows : rows.slice(0, query.limit);
  const last = shown.at(-1);
  const next = query.limit !== null && rows.length > query.limit && last ? encodeSummaryCursor(Number(last.created_at), last.id) : null;
  if (shown.length === 0) return { configs: [], next };
  const images = await selectSummaryImages(db, shown.map((row) => row.id));
  const page = shown.map((row): SummaryConfig => ({ ...summaryFields(row), images: images.get(row.id) ?? [] }));
  return { configs: page, next };
}

/** The whole summary: every configuration, in its order, with its current images. */
export async function selectSummary(db: Kysely<Database>): Promise<SummaryConfig[]> {
  const rows = await selectSummaryConfigs(db);
  const images = await selectSummaryImages(db, rows.map((row) => row.id));
  return rows.map(({ revision: _revision, ...config }) => ({ ...config, images: images.get(config.id) ?? [] }));
}

/** Ids per `IN (…)` list: far below either database's limit on parameters. */
const ID_CHUNK = 500;

/** Every configuration of the summary without its images, in its order, with its revision. */
export async function selectSummaryConfigs(db: Kysely<Database>): Promise<SummaryConfigRow[]> {
  const rows = await db
    .selectFrom('configs')
    .select(['id', 'region', 'registry', 'repository', 'status', 'last_scan_at', 'last_error', 'revision'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...summaryFields(row), revision: Number(row.revision) }));
}

/** A configuration's fields as the summary shows them. */
function summaryFields(row: Pick<Selectable<ConfigsTable>, 'id' | 'region' | 'registry' | 'repository' | 'status' | 'last_scan_at' | 'last_error'>): Omit<SummaryConfig, 'images'> {
  return {
    id: row.id,
    region: row.region,
    registry: row.registry,
    repository: row.repository,
    status: row.status as ConfigStatus,
    lastScan: toDate(row.last_scan_at),
    lastError: row.last_error,
  };
}

/** The current images of these configurations, by configuration, in tag order. */
export async function selectSummaryImages(db: Kysely<Database>, configIds: readonly string[]): Promise<Map<string, ImageState[]>> {
  const byConfig = new Map<string, ImageState[]>(configIds.map((id) => [id, []]));
  for (let start = 0; start < configIds.length; start += ID_CHUNK) {
    const images = await db
      .selectFrom('images')
      .selectAll()
      .where('config_id', 'in', configIds.slice(start, start + ID_CHUNK))
      .where('removed_at', 'is', null)
      .orderBy('config_id')
      .orderBy('tag')
      .execute();
    for (const image of images) byConfig.get(image.config_id)?.push(toImageState(image));
  }
  return byConfig;
}
