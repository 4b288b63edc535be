import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { ScanEvent } from '../domain/event.js';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryKind, DeliveryOutcome, DeliveryRecord, DeliveryStatus } from '../domain/subscription.js';
import type { StoreDialect } from './dialect.js';
import { selectEvents } from './events-repo.js';
import type { DeliveriesTable } from './notify-tables.js';
import { toDate } from './rows.js';
import type { PeriodicPlan, RelayPlan, RelayResult } from './subscription-store.js';
import { DIGEST_PERIOD_MS, insertDeliveries, toSubscription } from './subscriptions-repo.js';
import type { Database } from './tables.js';

// Rows per INSERT: 6 columns × 500 stays far below either database's parameter limit.
const INSERT_CHUNK = 500;
// Events read per page when a run's events go on past the relay's batch.
const RUN_PAGE = 5_000;
// Events per page while a periodic digest reads the period: only its counts and top lists stay in memory.
const PERIODIC_PAGE = 2_000;

type Trx = Transaction<Database>;

function eventsAfter(trx: Trx, afterSeq: number, limit: number) {
  return selectEvents(trx, { configIds: null, types: null, severities: null, afterSeq, limit, order: 'asc' });
}

/**
 * Reads a batch of events, extended so that it ends on a whole run: a run's events are one
 * transaction's, so they are contiguous in the log, and one run must make one digest.
 */
async function wholeRuns(trx: Trx, afterSeq: number, limit: number): Promise<ScanEvent[]> {
  const page = await eventsAfter(trx, afterSeq, limit);
  const events = page.events;
  let last = events.at(-1);
  let more = page.next !== null;
  while (more && last?.runId) {
    const next = await eventsAfter(trx, last.seq, RUN_PAGE);
    const sameRun = next.events.filter((event) => event.runId === last?.runId);
    events.push(...sameRun);
    if (sameRun.length < next.events.length || next.next === null) break;
    last = events.at(-1);
    more = true;
  }
  return events;
}

/**
 * One relay step, in one transaction: lock the cursor (PostgreSQL: a process that finds it
 * locked skips the step, another is relaying), read the events past it, queue what the plan
 * makes of them and move the cursor. Either all of it commits or none, so no event is
 * relayed twice or skipped, whichever process crashes when.
 */
export async function relay(db: Kysely<Database>, dialect: StoreDialect, limit: number, plan: RelayPlan, now: Date): Promise<RelayResult> {
  return db.transaction().execute(async (trx) => {
    let cursorQuery = trx.selectFrom('notify_cursor').select('seq').where('key', '=', 'relay');
    if (dialect === 'postgres') cursorQuery = cursorQuery.forUpdate().skipLocked();
    const cursor = await cursorQuery.executeTakeFirst();
    if (!cursor) return { events: 0, deliveries: 0, busy: dialect === 'postgres' };
    const events = await wholeRuns(trx, Number(cursor.seq), limit);
    const last = events.at(-1);
    if (!last) return { events: 0, deliveries: 0, busy: false };
    const rows = await trx.selectFrom('subscriptions').selectAll().where('digest', '=', 'run').where('start_seq', '<', last.seq).execute();
    const subscriptions = rows.map(toSubscription);
    const deliveries = subscriptions.length > 0 ? plan(events, subscriptions) : [];
    await insertDeliveries(trx, deliveries, now.getTime());
    await trx.updateTable('notify_cursor').set({ seq: last.seq }).where('key', '=', 'relay').execute();
    return { events: events.length, deliveries: deliveries.length, busy: false };
  });
}

/** Queues every due periodic digest, each in a transaction of its own with its subscription row locked. */
export async function relayPeriodic(db: Kysely<Database>, dialect: StoreDialect, now: Date, plan: PeriodicPlan): Promise<number> {
  const nowMs = now.getTime();
  const due = await db
    .selectFrom('subscriptions')
    .select('id')
    .where('digest', '<>', 'run')
    .where('digest_due_at', '<=', nowMs)
    .execute();
  let queued = 0;
  for (const { id } of due) {
    queued += await db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('subscriptions').selectAll().where('id', '=', id).where('digest_due_at', '<=', nowMs);
      if (dialect === 'postgres') query = query.forUpdate().skipLocked();
      const row = await query.executeTakeFirst();
      if (!row || row.digest === 'run') return 0;
      const subscription = toSubscription(row);
      let lastSeq = Number(row.digest_after_seq ?? row.start_seq);
      const builder = plan(subscription, now);
      for (;;) {
        const page = await eventsAfter(trx, lastSeq, PERIODIC_PAGE);
        builder.add(page.events);
        lastSeq = page.events.at(-1)?.seq ?? lastSeq;
        if (page.next === null) break;
      }
      const delivery = builder.finish();
      if (delivery) await insertDeliveries(trx, [delivery], nowMs);
      await trx
        .updateTable('subscriptions')
        .set({
          digest_after_seq: lastSeq,
          digest_due_at: nextDue(Number(row.digest_due_at), DIGEST_PERIOD_MS[subscription.digest === 'daily' ? 'daily' : 'hourly'], nowMs),
        })
        .where('id', '=', id)
        .execute();
      return delivery ? 1 : 0;
    });
  }
  return queued;
}

/** The next period boundary after now, keeping the phase (a process that was down sends one digest, not a backlog). */
function nextDue(dueAt: number, period: number, nowMs: number): number {
  return dueAt + Math.max(1, Math.ceil((nowMs - dueAt + 1) / period)) * period;
}

/**
 * Leases due messages. Only the oldest unfinished message of a subscription may be taken,
 * so its messages go out in order and one at a time; on PostgreSQL processes claiming at
 * once pass over each other's rows (`SKIP LOCKED`) instead of waiting.
 */
export async function claim(
  db: Kysely<Database>,
  dialect: StoreDialect,
  owner: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const nowMs = now.getTime();
  return db.transaction().execute(async (trx) => {
    let due = trx
      .selectFrom('deliveries as d')
      .select('d.seq')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', nowMs)
      .where((eb) => eb.or([eb('d.lease_expires_at', 'is', null), eb('d.lease_expires_at', '<', nowMs)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deliveries as e')
              .select('e.seq')
              .whereRef('e.subscription_id', '=', 'd.subscription_id')
              .where('e.status', '=', 'pending')
              .whereRef('e.seq', '<', 'd.seq'),
          ),
        ),
      )
      .orderBy('d.seq')
      .limit(limit);
    if (dialect === 'postgres') due = due.forUpdate().skipLocked();
    const seqs = (await due.execute()).map((row) => Number(row.seq));
    if (seqs.length === 0) return [];
    const rows = await trx
      .updateTable('deliveries')
      .set({ lease_owner: owner, lease_expires_at: nowMs + leaseMs })
      .where('seq', 'in', seqs)
      .returningAll()
      .execute();
    const subscriptionIds = [...new Set(rows.map((row) => row.subscription_id))];
    const subscriptions = new Map(
      (await trx.selectFrom('subscriptions').selectAll().where('id', 'in', subscriptionIds).execute()).map((row) => [row.id, toSubscription(row)]),
    );
    const claimed: ClaimedDelivery[] = [];
    for (const row of rows.sort((a, b) => Number(a.seq) - Number(b.seq))) {
      const subscription = subscriptions.get(row.subscription_id);
      if (subscription) claimed.push(toClaimed(row, subscription));
    }
    return claimed;
  });
}

function toClaimed(row: Selectable<DeliveriesTable>, subscription: ClaimedDelivery['subscription']): ClaimedDelivery {
  return {
    seq: Number(row.seq),
    messageId: row.message_id,
    kind: row.kind as DeliveryKind,
    subscription,
    contentType: row.content_type,
    body: row.body,
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    eventTime: toDate(row.event_time),
  };
}

/**
 * Records attempts in one transaction: each message is delivered, due again at `retryAt`,
 * or given up; its subscription's failure count moves, and the subscription is marked
 * failing once the count reaches `failingAfter`. Successes, the common case, are written
 * with a few statements for the whole batch, so delivering is not one transaction per
 * message. A worker whose lease was taken over records the attempt only.
 */
export async function finishBatch(db: Kysely<Database>, outcomes: DeliveryOutcome[], failingAfter: number): Promise<void> {
  if (outcomes.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < outcomes.length; start += INSERT_CHUNK) {
      await trx
        .insertInto('delivery_attempts')
        .values(
          outcomes.slice(start, start + INSERT_CHUNK).map((outcome) => ({
            delivery_seq: outcome.seq,
            subscription_id: outcome.subscriptionId,
            attempted_at: outcome.at.getTime(),
            status_code: outcome.statusCode,
            error: outcome.error,
            duration_ms: Math.round(outcome.durationMs),
          })),
        )
        .execute();
    }
    const successes = outcomes.filter((outcome) => outcome.ok);
    for (const group of groupBy(successes, (outcome) => `${outcome.owner}\n${outcome.statusCode}`)) {
      await recordSuccesses(trx, group);
    }
    for (const outcome of outcomes.filter((candidate) => !candidate.ok)) await recordFailure(trx, outcome, failingAfter);
  });
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

/** Successes of one owner with one status code; the batch's latest time stands for all of them. */
async function recordSuccesses(trx: Trx, group: DeliveryOutcome[]): Promise<void> {
  const first = group[0];
  if (!first) return;
  const at = Math.max(...group.map((outcome) => outcome.at.getTime()));
  const updated = await trx
    .updateTable('deliveries')
    .set((eb) => ({
      status: 'delivered',
      attempts: eb('attempts', '+', 1),
      next_attempt_at: null,
      lease_owner: null,
      lease_expires_at: null,
      delivered_at: at,
      last_status_code: first.statusCode,
      last_error: null,
      last_attempt_at: at,
    }))
    .where('seq', 'in', group.map((outcome) => outcome.seq))
    .where('lease_owner', '=', first.owner)
    .returning('subscription_id')
    .execute();
  const subscriptions = [...new Set(updated.map((row) => row.subscription_id))];
  if (subscriptions.length === 0) return;
  await trx
    .updateTable('subscriptions')
    .set({ consecutive_failures: 0, failing_since: null, last_delivery_at: at })
    .where('id', 'in', subscriptions)
    .execute();
}

async function recordFailure(trx: Trx, outcome: DeliveryOutcome, failingAfter: number): Promise<void> {
  const at = outcome.at.getTime();
  const updated = await trx
    .updateTable('deliveries')
    .set((eb) => ({
      status: outcome.retryAt ? 'pending' : 'failed',
      attempts: eb('attempts', '+', 1),
      next_attempt_at: outcome.retryAt?.getTime() ?? null,
      lease_owner: null,
      lease_expires_at: null,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      last_attempt_at: at,
    }))
    .where('seq', '=', outcome.seq)
    .where('lease_owner', '=', outcome.owner)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return;
  await trx
    .updateTable('subscriptions')
    .set({
      consecutive_failures: sql<number>`consecutive_failures + 1`,
      failing_since: sql<number | null>`case when failing_since is null and consecutive_failures + 1 >= ${failingAfter} then ${at} else failing_since end`,
    })
    .where('id', '=', outcome.subscriptionId)
    .execute();
}

export async function release(db: Kysely<Database>, owner: string): Promise<void> {
  await db.updateTable('deliveries').set({ lease_owner: null, lease_expires_at: null }).where('lease_owner', '=', owner).execute();
}

// Attempts listed per message: the latest tell what is wrong; the count says how many there were.
const ATTEMPTS_SHOWN = 5;

export async function selectDeliveries(db: Kysely<Database>, subscriptionId: string, limit: number): Promise<DeliveryRecord[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select([
      'seq',
      'message_id',
      'kind',
      'status',
      'config_id',
      'run_id',
      'created_at',
      'attempts',
      'next_attempt_at',
      'delivered_at',
      'last_status_code',
      'last_error',
      'last_attempt_at',
    ])
    .where('subscription_id', '=', subscriptionId)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  const history = await recentAttempts(db, rows.map((row) => Number(row.seq)));
  return rows.map((row) => ({
    messageId: row.message_id,
    kind: row.kind as DeliveryKind,
    status: row.status as DeliveryStatus,
    configId: row.config_id,
    runId: row.run_id,
    createdAt: new Date(Number(row.created_at)),
    attempts: Number(row.attempts),
    nextAttemptAt: row.status === 'pending' ? toDate(row.next_attempt_at) : null,
    deliveredAt: toDate(row.delivered_at),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    lastAttemptAt: toDate(row.last_attempt_at),
    history: history.get(Number(row.seq)) ?? [],
  }));
}

async function recentAttempts(db: Kysely<Database>, seqs: number[]): Promise<Map<number, DeliveryAttempt[]>> {
  const bySeq = new Map<number, DeliveryAttempt[]>();
  if (seqs.length === 0) return bySeq;
  const rows = await db.selectFrom('delivery_attempts').selectAll().where('delivery_seq', 'in', seqs).orderBy('id', 'desc').execute();
  for (const row of rows) {
    const list = bySeq.get(Number(row.delivery_seq)) ?? [];
    if (list.length < ATTEMPTS_SHOWN) {
      list.push({
        at: new Date(Number(row.attempted_at)),
        statusCode: row.status_code === null ? null : Number(row.status_code),
        error: row.error,
        durationMs: Number(row.duration_ms),
      });
    }
    bySeq.set(Number(row.delivery_seq), list);
  }
  return bySeq;
}
