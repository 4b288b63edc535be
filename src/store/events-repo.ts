import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { EventDetail, EventPage, EventQuery, EventType, ScanEvent } from '../domain/event.js';
import type { Severity } from '../domain/severity.js';
import { bumpStoreRevision } from './configs-repo.js';
import type { Database, EventsTable } from './tables.js';

// Rows per INSERT: 9 bound columns × 1000 stays below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 1000;

/** An event about to be written: the store adds its id, position and time. */
export interface NewEvent {
  type: EventType;
  configId: string;
  runId: string | null;
  tag: string | null;
  digest: string | null;
  severity: Severity | null;
  detail: EventDetail;
}

/**
 * Writes a transaction's events and moves the store revision, as the last statements of
 * that transaction. The revision row is locked first: on PostgreSQL every writer waits on it
 * until commit, so `seq` values are handed out in commit order and a reader following
 * `seq > last seen` never skips an event that committed late.
 */
export async function appendEvents(trx: Transaction<Database>, events: NewEvent[], now: number): Promise<void> {
  await bumpStoreRevision(trx);
  for (let start = 0; start < events.length; start += INSERT_CHUNK) {
    const rows = events.slice(start, start + INSERT_CHUNK).map((event): Insertable<EventsTable> => ({
      id: uuidv7({ msecs: now }),
      type: event.type,
      occurred_at: now,
      config_id: event.configId,
      run_id: event.runId,
      tag: event.tag,
      digest: event.digest,
      severity: event.severity,
      detail: JSON.stringify(event.detail),
    }));
    await trx.insertInto('events').values(rows).execute();
  }
}

/** Opaque cursor over the log position; the same encoding as the findings pages. */
export function encodeEventCursor(seq: number): string {
  return Buffer.from(`e${seq}`).toString('base64url');
}

export function decodeEventCursor(cursor: string): number | null {
  const match = /^e([0-9]{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : null;
}

export async function selectEvents(db: Kysely<Database>, query: EventQuery): Promise<EventPage> {
  let select = db
    .selectFrom('events')
    .innerJoin('configs', 'configs.id', 'events.config_id')
    .selectAll('events')
    .select(['configs.registry', 'configs.repository', 'configs.region']);
  if (query.configIds) select = select.where('events.config_id', 'in', query.configIds);
  if (query.types) select = select.where('events.type', 'in', query.types);
  if (query.severities) select = select.where('events.severity', 'in', query.severities);
  if (query.afterSeq !== null) select = select.where('events.seq', query.order === 'asc' ? '>' : '<', query.afterSeq);
  const rows = await select
    .orderBy('events.seq', query.order)
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map(toEvent),
    next: rows.length > query.limit && last ? encodeEventCursor(Number(last.seq)) : null,
  };
}

function toEvent(row: Selectable<EventsTable> & { registry: string; repository: string; region: string | null }): ScanEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type as EventType,
    time: new Date(Number(row.occurred_at)),
    configId: row.config_id,
    runId: row.run_id,
    registry: row.registry,
    repository: row.repository,
    region: row.region,
    tag: row.tag,
    digest: row.digest,
    severity: row.severity as Severity | null,
    detail: JSON.parse(row.detail) as EventDetail,
  };
}

/**
 * Deletes up to `batch` events older than `before`, oldest first; the caller repeats while
 * a full batch went, so that pruning a long backlog never holds the database for long.
 */
export async function pruneEventsBefore(db: Kysely<Database>, before: Date, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('events')
    .where('seq', 'in', (qb) =>
      qb.selectFrom('events').select('seq').where('occurred_at', '<', before.getTime()).orderBy('seq').limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
