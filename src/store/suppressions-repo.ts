import type { Insertable, Kysely, Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { EventSuppression, EventType } from '../domain/event.js';
import type { Severity } from '../domain/severity.js';
import type { Suppression, SuppressionInput } from '../triage/suppression.js';
import { appendEvents, type NewEvent } from './events-repo.js';
import { refreshImageCounts } from './image-counts.js';
import { type CoverageChange, recomputeCoverage, toSuppression } from './suppression-coverage.js';
import type { SuppressionPut, SuppressionPutResult } from './suppression-store.js';
import type { Database, SuppressionsTable } from './tables.js';

// Ids per `IN (…)` list, below every dialect's parameter limit.
const ID_CHUNK = 1000;

type SuppressionEventType = Extract<EventType, `suppression.${string}`>;

/** A change to one suppression, for its events: what it is now (or was, when deleted). */
interface Changed {
  type: SuppressionEventType;
  suppression: Suppression;
}

function columnsOf(input: SuppressionInput): Omit<Insertable<SuppressionsTable>, 'id' | 'created_by' | 'created_at' | 'updated_at'> {
  return {
    vulnerability: input.vulnerability,
    package: input.package,
    config_id: input.configId,
    repository: input.repository,
    tag: input.tag,
    status: input.status,
    justification: input.justification,
    reason: input.reason,
    expires_at: input.expiresAt?.getTime() ?? null,
    expired_at: null,
  };
}

export async function insertSuppression(db: Kysely<Database>, input: SuppressionPut, createdBy: string | null, now: Date): Promise<Suppression | undefined> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('suppressions').select('id').where('id', '=', input.id).executeTakeFirst();
    if (existing) return undefined;
    const row = await trx
      .insertInto('suppressions')
      .values({ id: input.id, ...columnsOf(input), created_by: createdBy, created_at: now.getTime(), updated_at: now.getTime() })
      .returningAll()
      .executeTakeFirstOrThrow();
    const created = toSuppression(row);
    await applyChanges(trx, [{ type: 'suppression.created', suppression: created }], [created.vulnerability], now.getTime());
    return created;
  });
}

/** Creates or replaces each by id, in one transaction; one that is already as given is left alone. */
export async function putSuppressions(db: Kysely<Database>, inputs: SuppressionPut[], createdBy: string | null, now: Date): Promise<SuppressionPutResult> {
  return db.transaction().execute(async (trx) => {
    const result: SuppressionPutResult = { created: [], updated: [], unchanged: [] };
    const known = new Map<string, Suppression>();
    const ids = inputs.map((input) => input.id);
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      const rows = await trx.selectFrom('suppressions').selectAll().where('id', 'in', ids.slice(start, start + ID_CHUNK)).execute();
      for (const row of rows) known.set(row.id, toSuppression(row));
    }
    const changes: Changed[] = [];
    const vulnerabilities: string[] = [];
    for (const input of inputs) {
      const before = known.get(input.id);
      if (before && before.expiredAt === null && sameFields(before, input)) {
        result.unchanged.push(input.id);
        continue;
      }
      const columns = { ...columnsOf(input), updated_at: now.getTime() };
      const row = before
        ? await trx.updateTable('suppressions').set(columns).where('id', '=', input.id).returningAll().executeTakeFirstOrThrow()
        : await trx
            .insertInto('suppressions')
            .values({ id: input.id, ...columns, created_by: createdBy, created_at: now.getTime() })
            .returningAll()
            .executeTakeFirstOrThrow();
      const suppression = toSuppression(row);
      known.set(input.id, suppression);
      (before ? result.updated : result.created).push(input.id);
      changes.push({ type: before ? 'suppression.updated' : 'suppression.created', suppression });
      vulnerabilities.push(input.vulnerability);
      if (before) vulnerabilities.push(before.vulnerability);
    }
    if (changes.length > 0) await applyChanges(trx, changes, vulnerabilities, now.getTime());
    return result;
  });
}

function sameFields(before: Suppression, input: SuppressionInput): boolean {
  return (
    before.vulnerability === input.vulnerability &&
    before.package === input.package &&
    before.configId === input.configId &&
    before.repository === input.repository &&
    before.tag === input.tag &&
    before.status === input.status &&
    before.justification === input.justification &&
    before.reason === input.reason &&
    (before.expiresAt?.getTime() ?? null) === (input.expiresAt?.getTime() ?? null)
  );
}

export async function selectSuppressions(db: Kysely<Database>): Promise<Suppression[]> {
  const rows = await db.selectFrom('suppressions').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toSuppression);
}

export async function selectSuppression(db: Kysely<Database>, id: string): Promise<Suppression | undefined> {
  const row = await db.selectFrom('suppressions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toSuppression(row) : undefined;
}

/** Replaces its fields; an expired suppression given a new (future) expiry or none is active again. */
export async function changeSuppression(db: Kysely<Database>, id: string, input: SuppressionInput, now: Date): Promise<Suppression | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('suppressions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!before) return undefined;
    const row = await trx
      .updateTable('suppressions')
      .set({ ...columnsOf(input), updated_at: now.getTime() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const updated = toSuppression(row);
    await applyChanges(trx, [{ type: 'suppression.updated', suppression: updated }], [before.vulnerability, updated.vulnerability], now.getTime());
    return updated;
  });
}

export async function removeSuppression(db: Kysely<Database>, id: string, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('suppressions').where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) return false;
    const deleted = toSuppression(row);
    await applyChanges(trx, [{ type: 'suppression.deleted', suppression: deleted }], [deleted.vulnerability], now.getTime());
    return true;
  });
}

/**
 * Marks every suppression due by `now` expired and gives its findings back. The update
 * claims them, so on PostgreSQL two processes never expire the same one twice.
 */
export async function expireDue(db: Kysely<Database>, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('suppressions')
      .set({ expired_at: now.getTime() })
      .where('expired_at', 'is', null)
      .where('expires_at', '<=', now.getTime())
      .returningAll()
      .execute();
    if (rows.length === 0) return 0;
    const expired = rows.map(toSuppression);
    await applyChanges(
      trx,
      expired.map((suppression) => ({ type: 'suppression.expired', suppression })),
      expired.map((suppression) => suppression.vulnerability),
      now.getTime(),
    );
    return rows.length;
  });
}

export async function earliestExpiry(db: Kysely<Database>): Promise<Date | null> {
  const row = await db
    .selectFrom('suppressions')
    .select((eb) => eb.fn.min('expires_at').as('at'))
    .where('expired_at', 'is', null)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : new Date(Number(row.at));
}

/**
 * The rest of every change's transaction: which findings are suppressed, their images'
 * counts, the revisions of the configurations whose pages change, and the events.
 */
async function applyChanges(trx: Transaction<Database>, changes: Changed[], vulnerabilities: string[], now: number): Promise<void> {
  const coverage = await recomputeCoverage(trx, vulnerabilities, now);
  await refreshImageCounts(trx, [...coverage.images]);
  const configs = [...coverage.configs];
  for (let start = 0; start < configs.length; start += ID_CHUNK) {
    await trx
      .updateTable('configs')
      .set((eb) => ({ revision: eb('revision', '+', 1) }))
      .where('id', 'in', configs.slice(start, start + ID_CHUNK))
      .execute();
  }
  // One id for the change's events, as a scan run's: a subscription gets one message per
  // configuration for an import of thousands, not one per suppression.
  await appendEvents(trx, await eventsOf(trx, changes, coverage, uuidv7({ msecs: now })), now);
}

/**
 * One event per change per configuration it concerns: those whose open findings it
 * suppressed or gave back, and the configuration it is narrowed to. The event log is kept
 * per configuration, so a suppression that touches none writes none.
 */
async function eventsOf(trx: Transaction<Database>, changes: Changed[], coverage: CoverageChange, changeId: string): Promise<NewEvent[]> {
  const scoped = [...new Set(changes.flatMap((change) => (change.suppression.configId === null ? [] : [change.suppression.configId])))];
  const existing = new Set<string>();
  for (let start = 0; start < scoped.length; start += ID_CHUNK) {
    const rows = await trx.selectFrom('configs').select('id').where('id', 'in', scoped.slice(start, start + ID_CHUNK)).execute();
    for (const row of rows) existing.add(row.id);
  }
  const events: NewEvent[] = [];
  for (const change of changes) {
    const affected = coverage.bySuppression.get(change.suppression.id) ?? new Map<string, number>();
    const configIds = new Set(affected.keys());
    if (change.suppression.configId !== null && existing.has(change.suppression.configId)) configIds.add(change.suppression.configId);
    for (const configId of configIds) {
      events.push({
        type: change.type,
        configId,
        runId: changeId,
        tag: null,
        digest: null,
        severity: null,
        detail: { suppression: eventSuppression(change.suppression), affectedFindings: affected.get(configId) ?? 0 },
      });
    }
  }
  // Then each open finding that left or came back to the counts, so that a subscription
  // hears of findings that count again, in the same message as the change.
  const byId = new Map(changes.map((change) => [change.suppression.id, change.suppression]));
  for (const moved of coverage.moved) {
    const suppression = moved.suppressionId === null ? undefined : byId.get(moved.suppressionId);
    events.push({
      type: moved.suppressionId === null ? 'finding.unsuppressed' : 'finding.suppressed',
      configId: moved.configId,
      runId: changeId,
      tag: moved.tag,
      digest: moved.digest,
      severity: moved.severity as Severity,
      findingId: moved.findingId,
      detail: suppression ? { suppression: eventSuppression(suppression) } : {},
    });
  }
  return events;
}

function eventSuppression(suppression: Suppression): EventSuppression {
  return {
    id: suppression.id,
    vulnerability: suppression.vulnerability,
    status: suppression.status,
    justification: suppression.justification,
    reason: suppression.reason,
    expiresAt: suppression.expiresAt?.toISOString() ?? null,
  };
}
