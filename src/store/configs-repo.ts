import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ConfigImageStatus, ConfigState, ScanConfig } from '../domain/scan-config.js';
import type { ImageStatus } from '../domain/image.js';
import { toConfigState } from './rows.js';
import type { ConfigsTable, Database } from './tables.js';
import type { StoreDialect } from './dialect.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Moves the store revision. Called as the last statement of a write transaction: on
 * PostgreSQL every writer waits on this one row from here until its commit.
 */
export async function bumpStoreRevision(db: Db): Promise<void> {
  await db
    .updateTable('store_meta')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('key', '=', 'revision')
    .execute();
}

/**
 * Reads the store revision. Caches and ETags read it on every request, so the query is
 * compiled once: building it through the query builder each time cost about as much as
 * the rest of serving a cached feed page.
 */
export function storeRevisionReader(db: Kysely<Database>): () => Promise<number> {
  const query = db.selectFrom('store_meta').select('value').where('key', '=', 'revision').compile();
  return async () => {
    const row = (await db.executeQuery(query)).rows[0];
    if (!row) throw new Error('the store_meta table has no revision row');
    return Number(row.value);
  };
}

export async function insertConfig(
  db: Kysely<Database>,
  dialect: StoreDialect,
  config: Omit<ScanConfig, 'id' | 'created'>,
  now: Date,
  createdBy: string | null,
): Promise<ConfigState> {
  const row = configRow(config, now, createdBy);
  const inserted = dialect === 'postgres' ? await insertWithBumpStatement(db, row) : await insertThenBump(db, row);
  // A new configuration has no images yet, so the inserted row is the whole answer.
  return toConfigState(inserted, []);
}

/**
 * PostgreSQL: the insert and the revision bump in one statement, so that the revision row
 * is held for the server's commit only, not across round trips to this process, which
 * registrations arriving together would queue behind.
 */
function insertWithBumpStatement(db: Kysely<Database>, row: Insertable<ConfigsTable>): Promise<Selectable<ConfigsTable>> {
  return db
    .with('bump', (qc) => qc.updateTable('store_meta').set((eb) => ({ value: eb('value', '+', 1) })).where('key', '=', 'revision'))
    .insertInto('configs')
    .values(row)
    .returningAll()
    .executeTakeFirstOrThrow();
}

function insertThenBump(db: Kysely<Database>, row: Insertable<ConfigsTable>): Promise<Selectable<ConfigsTable>> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto('configs').values(row).returningAll().executeTakeFirstOrThrow();
    await bumpStoreRevision(trx);
    return inserted;
  });
}

function configRow(config: Omit<ScanConfig, 'id' | 'created'>, now: Date, createdBy: string | null): Insertable<ConfigsTable> {
  return {
    id: randomUUID(),
    created_at: now.getTime(),
    region: config.region,
    registry: config.registry,
    repository: config.repository,
    tags: config.tags === null ? null : JSON.stringify(config.tags),
    schedule: config.schedule,
    scanner: config.scanner,
    platform: config.platform,
    newest: config.newest ?? null,
    pushed_within: config.pushedWithin ?? null,
    exclude: config.exclude ? JSON.stringify(config.exclude) : null,
    status: 'NEW',
    last_scan_at: null,
    // A new configuration is due at once (SPEC §3).
    next_scan_at: now.getTime(),
    last_error: null,
    lease_owner: null,
    lease_expires_at: null,
    revision: 0,
    created_by: createdBy,
  };
}

export async function selectConfigs(db: Db): Promise<ConfigState[]> {
  const [rows, images] = await Promise.all([
    db.selectFrom('configs').selectAll().orderBy('created_at').orderBy('id').execute(),
    db
      .selectFrom('images')
      .select(['config_id', 'tag', 'digest', 'status', 'error'])
      .where('removed_at', 'is', null)
      .orderBy('config_id')
      .orderBy('tag')
      .execute(),
  ]);
  const byConfig = new Map<string, ConfigImageStatus[]>();
  for (const image of images) {
    const list = byConfig.get(image.config_id) ?? [];
    list.push({ tag: image.tag, digest: image.digest, status: image.status as ImageStatus, error: image.error });
    byConfig.set(image.config_id, list);
  }
  return rows.map((row) => toConfigState(row, byConfig.get(row.id) ?? []));
}

export async function selectConfig(db: Db, id: string): Promise<ConfigState | undefined> {
  const row = await db.selectFrom('configs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const images = await db
    .selectFrom('images')
    .select(['tag', 'digest', 'status', 'error'])
    .where('config_id', '=', id)
    .where('removed_at', 'is', null)
    .orderBy('tag')
    .execute();
  return toConfigState(
    row,
    images.map((image) => ({ tag: image.tag, digest: image.digest, status: image.status as ImageStatus, error: image.error })),
  );
}

export async function removeConfig(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The configuration row goes first: a scan being committed holds its lock, so this waits
    // for the commit instead of deadlocking with it over findings (PostgreSQL). Findings
    // reference images, images and runs the configuration; deleting them explicitly keeps
    // this independent of whether the connection enforces foreign keys.
    const result = await trx.deleteFrom('configs').where('id', '=', id).executeTakeFirst();
    await trx.deleteFrom('findings').where('config_id', '=', id).execute();
    await trx.deleteFrom('images').where('config_id', '=', id).execute();
    await trx.deleteFrom('scan_runs').where('config_id', '=', id).execute();
    await trx.deleteFrom('events').where('config_id', '=', id).execute();
    const deleted = Number(result.numDeletedRows) > 0;
    if (deleted) await bumpStoreRevision(trx);
    return deleted;
  });
}

/** What PATCH may change: never the registry, region or repository that identify the images. */
export type ConfigChanges = Pick<ScanConfig, 'tags' | 'schedule' | 'scanner' | 'platform' | 'newest' | 'pushedWithin' | 'exclude'>;

/**
 * Changes a configuration in place, so its id, images, findings (with their first-seen
 * times) and runs stay; undefined when it is unknown. `nextScanAt` moves the next scan.
 */
export async function changeConfig(db: Kysely<Database>, id: string, changes: ConfigChanges, nextScanAt: Date): Promise<ConfigState | undefined> {
  const updated = await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('configs')
      .set({
        tags: changes.tags === null ? null : JSON.stringify(changes.tags),
        schedule: changes.schedule,
        scanner: changes.scanner,
        platform: changes.platform,
        newest: changes.newest ?? null,
        pushed_within: changes.pushedWithin ?? null,
        exclude: changes.exclude ? JSON.stringify(changes.exclude) : null,
        next_scan_at: nextScanAt.getTime(),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    const found = Number(result.numUpdatedRows) > 0;
    if (found) await bumpStoreRevision(trx);
    return found;
  });
  return updated ? selectConfig(db, id) : undefined;
}

/**
 * Records how far a running scan has got, while this owner holds its lease. Not a change
 * of what the feeds and the summary show, so the store revision does not move.
 */
export async function writeProgress(db: Kysely<Database>, configId: string, owner: string, progress: { done: number; total: number }): Promise<void> {
  await db
    .updateTable('configs')
    .set({ progress_done: progress.done, progress_total: progress.total })
    .where('id', '=', configId)
    .where('lease_owner', '=', owner)
    .execute();
}
