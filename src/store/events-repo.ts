import { splitImageKey } from '../domain/scan-config.js';
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { EventDetail, EventFinding, EventPage, EventQuery, EventType, ScanEvent } from '../domain/event.js';
import type { Severity } from '../domain/severity.js';
import { bumpStoreRevision } from './configs-repo.js';
import { eventId } from './event-id.js';
import { effectiveSeverity } from './image-counts.js';
import type { Database, EventsTable, FindingsTable } from './tables.js';

// Rows per INSERT: 9 bound columns × 1000 stays below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 1000;

/** An event about to be written: the store adds its position, id and time. */
export interface NewEvent {
  type: EventType;
  configId: string;
  runId: string | null;
  tag: string | null;
  digest: string | null;
  severity: Severity | null;
  /** The finding row a finding event is about. */
  findingId?: number | null;
  detail: EventDetail;
}

/**
 * `finding.new` for every finding of an image inserted by this transaction (ids above
 * `afterFindingId`): written by the database from the finding rows, since a first scan can
 * bring tens of thousands and copying each through this process doubled the commit's time.
 */
export interface NewFindingsOfImage {
  type: 'finding.new*';
  configId: string;
  runId: string;
  imageId: number;
  afterFindingId: number;
  tag: string;
  digest: string | null;
}

export type PendingEvent = NewEvent | NewFindingsOfImage;

/**
 * Writes a transaction's events, in the order given, and moves the store revision: the last
 * statements of that transaction. The revision row is locked first, so on PostgreSQL every
 * writer waits on it until commit, `seq` values are handed out in commit order, and a reader
 * following `seq > last seen` never skips an event that committed late.
 */
export async function appendEvents(trx: Transaction<Database>, pending: PendingEvent[], now: number): Promise<void> {
  await bumpStoreRevision(trx);
  let rows: Insertable<EventsTable>[] = [];
  const flush = async (): Promise<void> => {
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      await trx.insertInto('events').values(rows.slice(start, start + INSERT_CHUNK)).execute();
    }
    rows = [];
  };
  for (const event of pending) {
    if (event.type === 'finding.new*') {
      await flush();
      await insertNewFindingEvents(trx, event, now);
    } else {
      rows.push(eventRow(event, now));
    }
  }
  await flush();
}

function eventRow(event: NewEvent, now: number): Insertable<EventsTable> {
  return {
    type: event.type,
    occurred_at: now,
    config_id: event.configId,
    run_id: event.runId,
    tag: event.tag,
    digest: event.digest,
    severity: event.severity,
    finding_id: event.findingId ?? null,
    detail: JSON.stringify(event.detail),
  };
}

async function insertNewFindingEvents(trx: Transaction<Database>, batch: NewFindingsOfImage, now: number): Promise<void> {
  await trx
    .insertInto('events')
    .columns(['type', 'occurred_at', 'config_id', 'run_id', 'tag', 'digest', 'severity', 'finding_id', 'detail'])
    .expression((eb) =>
      eb
        .selectFrom('findings')
        // The severity the finding shows: NVD's where the advisory has none, so that
        // severity filters and subscriptions see a Debian CVE as what it is.
        .leftJoin('nvd_cvss', 'nvd_cvss.cve', 'findings.cve')
        .select([
          sql<string>`${'finding.new'}`.as('type'),
          sql<number>`${now}`.as('occurred_at'),
          sql<string>`${batch.configId}`.as('config_id'),
          sql<string>`${batch.runId}`.as('run_id'),
          sql<string>`${batch.tag}`.as('tag'),
          sql<string | null>`${batch.digest}`.as('digest'),
          effectiveSeverity.as('severity'),
          'findings.id',
          sql<null>`null`.as('detail'),
        ])
        .where('findings.image_id', '=', batch.imageId)
        .where('findings.id', '>', batch.afterFindingId)
        .where('findings.suppressed_by', 'is', null)
        .orderBy('findings.id'),
    )
    .execute();
}

/** Opaque cursor over the log position. */
export function encodeEventCursor(seq: number): string {
  return Buffer.from(`e${seq}`).toString('base64url');
}

export function decodeEventCursor(cursor: string): number | null {
  const match = /^e([0-9]{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : null;
}

const salts = new WeakMap<Kysely<Database>, Promise<number>>();

/** The database's event-id salt, read once per connection pool. */
function eventIdSalt(db: Kysely<Database>): Promise<number> {
  let salt = salts.get(db);
  if (!salt) {
    salt = db
      .selectFrom('store_meta')
      .select('value')
      .where('key', '=', 'event_id_salt')
      .executeTakeFirst()
      .then((row) => Number(row?.value ?? 0));
    salts.set(db, salt);
  }
  return salt;
}

type FindingColumns = Pick<
  Selectable<FindingsTable>,
  'name' | 'package' | 'version' | 'fixed_version' | 'uri' | 'cvss_score' | 'cvss_vector' | 'aliases' | 'path'
>;
type EventRow = Selectable<EventsTable> & { registry: string; repository: string; region: string | null } & {
  [K in keyof FindingColumns as `f_${K}`]: FindingColumns[K] | null;
};

export async function selectEvents(db: Kysely<Database>, query: EventQuery): Promise<EventPage> {
  let select = db
    .selectFrom('events')
    .innerJoin('configs', 'configs.id', 'events.config_id')
    .leftJoin('findings', 'findings.id', 'events.finding_id')
    .selectAll('events')
    .select(['configs.registry', 'configs.repository', 'configs.region'])
    .select([
      'findings.name as f_name',
      'findings.package as f_package',
      'findings.version as f_version',
      'findings.fixed_version as f_fixed_version',
      'findings.uri as f_uri',
      'findings.cvss_score as f_cvss_score',
      'findings.cvss_vector as f_cvss_vector',
      'findings.aliases as f_aliases',
      'findings.path as f_path',
    ]);
  if (query.configIds) select = select.where('events.config_id', 'in', query.configIds);
  if (query.types) select = select.where('events.type', 'in', query.types);
  if (query.severities) select = select.where('events.severity', 'in', query.severities);
  // Prioritisation filters ask about the finding as it is now, joined on its CVE.
  if (query.kev) select = select.where((eb) => eb.exists(eb.selectFrom('kev_entries').select('kev_entries.cve').whereRef('kev_entries.cve', '=', 'findings.cve')));
  if (query.fixable) select = select.where('findings.fixed_version', 'is not', null);
  if (query.minEpss !== undefined && query.minEpss !== null) {
    const minEpss = query.minEpss;
    select = select.where((eb) => eb.exists(eb.selectFrom('epss_scores').select('epss_scores.cve').whereRef('epss_scores.cve', '=', 'findings.cve').where('epss_scores.score', '>=', minEpss)));
  }
  if (query.afterSeq !== null) select = select.where('events.seq', query.order === 'asc' ? '>' : '<', query.afterSeq);
  const [rows, salt] = await Promise.all([select.orderBy('events.seq', query.order).limit(query.limit + 1).execute(), eventIdSalt(db)]);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => toEvent(row as EventRow, salt)),
    next: rows.length > query.limit && last ? encodeEventCursor(Number(last.seq)) : null,
  };
}

function toEvent(row: EventRow, salt: number): ScanEvent {
  const seq = Number(row.seq);
  const time = Number(row.occurred_at);
  const detail = row.detail === null ? {} : (JSON.parse(row.detail) as EventDetail);
  const severity = row.severity as Severity | null;
  if (!detail.finding && row.f_name !== null && severity !== null) detail.finding = findingOf(row, severity);
  return {
    id: eventId(time, seq, salt),
    seq,
    type: row.type as EventType,
    time: new Date(time),
    configId: row.config_id,
    runId: row.run_id,
    registry: row.registry,
    // A repository glob's images are keyed `repository:tag`: events name the image's own repository.
    ...(row.tag === null ? { repository: row.repository, tag: null } : splitImageKey(row, row.tag)),
    region: row.region,
    digest: row.digest,
    severity,
    detail,
  };
}

/** A new finding as its row has it; the severity is the event's own. */
function findingOf(row: EventRow, severity: Severity): EventFinding {
  return {
    name: row.f_name ?? '',
    severity,
    package: row.f_package === '' ? null : row.f_package,
    version: row.f_version,
    fixedVersion: row.f_fixed_version,
    uri: row.f_uri,
    cvss: row.f_cvss_score === null && row.f_cvss_vector === null ? null : { score: row.f_cvss_score, vector: row.f_cvss_vector },
    aliases: row.f_aliases === null ? [] : (JSON.parse(row.f_aliases) as string[]),
    path: row.f_path,
  };
}

/**
 * Deletes up to `batch` events older than `before`, oldest first; the caller repeats while
 * a full batch went, so that pruning a long backlog never holds the database for long.
 * Events are appended in time order, so walking `seq` from the start finds the old ones.
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
