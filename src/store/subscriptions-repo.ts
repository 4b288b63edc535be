import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type {
  DigestMode,
  NewDelivery,
  SigningSubscription,
  Subscription,
  SubscriptionFilters,
  SubscriptionFormat,
  SubscriptionInput,
  SubscriptionPatch,
} from '../domain/subscription.js';
import type { DeliveriesTable, SubscriptionsTable } from './notify-tables.js';
import { toDate } from './rows.js';
import type { Database } from './tables.js';

// Rows per INSERT: 11 bound columns × 500 stays far below either database's parameter limit.
const INSERT_CHUNK = 500;

export const DIGEST_PERIOD_MS: Record<Exclude<DigestMode, 'run'>, number> = { hourly: 3_600_000, daily: 86_400_000 };

export function toSubscription(row: Selectable<SubscriptionsTable>): SigningSubscription {
  return {
    id: row.id,
    url: row.url,
    format: row.format as SubscriptionFormat,
    filters: JSON.parse(row.filters) as SubscriptionFilters,
    digest: row.digest as DigestMode,
    sendEmpty: Number(row.send_empty) === 1,
    description: row.description,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    createdBy: row.created_by,
    failingSince: toDate(row.failing_since),
    consecutiveFailures: Number(row.consecutive_failures),
    lastDeliveryAt: toDate(row.last_delivery_at),
    previousSecretExpiresAt: toDate(row.previous_secret_expires_at),
    secret: row.secret,
    previousSecret: row.previous_secret,
    startSeq: Number(row.start_seq),
  };
}

/** The subscription without its secrets: what the API may show. */
export function withoutSecrets(subscription: SigningSubscription): Subscription {
  const { secret: _secret, previousSecret: _previous, startSeq: _start, ...rest } = subscription;
  return rest;
}

async function lastEventSeq(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** Periodic digests start one period from now and cover what the log holds after this point. */
async function periodicStart(db: Kysely<Database> | Transaction<Database>, digest: DigestMode, nowMs: number) {
  if (digest === 'run') return { digest_due_at: null, digest_after_seq: null };
  return { digest_due_at: nowMs + DIGEST_PERIOD_MS[digest], digest_after_seq: await lastEventSeq(db) };
}

export async function insertSubscription(db: Kysely<Database>, input: SubscriptionInput, now: Date): Promise<SigningSubscription> {
  const nowMs = now.getTime();
  return db.transaction().execute(async (trx) => {
    const row: Insertable<SubscriptionsTable> = {
      id: randomUUID(),
      url: input.url,
      format: input.format,
      filters: JSON.stringify(input.filters),
      digest: input.digest,
      send_empty: input.sendEmpty ? 1 : 0,
      description: input.description,
      secret: input.secret,
      previous_secret: null,
      previous_secret_expires_at: null,
      created_at: nowMs,
      updated_at: nowMs,
      created_by: input.createdBy,
      // Events already in the log predate the subscription: it hears of changes from now on.
      start_seq: await lastEventSeq(trx),
      failing_since: null,
      last_delivery_at: null,
      ...(await periodicStart(trx, input.digest, nowMs)),
    };
    return toSubscription(await trx.insertInto('subscriptions').values(row).returningAll().executeTakeFirstOrThrow());
  });
}

export async function selectSubscriptions(db: Kysely<Database>): Promise<Subscription[]> {
  const rows = await db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => withoutSecrets(toSubscription(row)));
}

export async function selectSubscription(db: Kysely<Database>, id: string): Promise<SigningSubscription | undefined> {
  const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toSubscription(row) : undefined;
}

export async function changeSubscription(
  db: Kysely<Database>,
  id: string,
  patch: SubscriptionPatch,
  now: Date,
): Promise<SigningSubscription | undefined> {
  const nowMs = now.getTime();
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('subscriptions').select('digest').where('id', '=', id).executeTakeFirst();
    if (!current) return undefined;
    const set: Updateable<SubscriptionsTable> = { updated_at: nowMs };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.format !== undefined) set.format = patch.format;
    if (patch.filters !== undefined) set.filters = JSON.stringify(patch.filters);
    if (patch.sendEmpty !== undefined) set.send_empty = patch.sendEmpty ? 1 : 0;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.digest !== undefined && patch.digest !== current.digest) {
      set.digest = patch.digest;
      Object.assign(set, await periodicStart(trx, patch.digest, nowMs));
    }
    const rotate = patch.rotate;
    // The secret being replaced is read by the update itself, so that two rotations at once cannot lose one.
    const row = await trx
      .updateTable('subscriptions')
      .set((eb) => ({
        ...set,
        ...(rotate ? { previous_secret: eb.ref('secret'), previous_secret_expires_at: rotate.previousExpiresAt.getTime(), secret: rotate.secret } : {}),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toSubscription(row) : undefined;
  });
}

export async function removeSubscription(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // Attempts go with their deliveries, deliveries with their subscription (foreign keys, cascading).
    const result = await trx.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

function deliveryRow(delivery: NewDelivery, nowMs: number): Insertable<DeliveriesTable> {
  return {
    subscription_id: delivery.subscriptionId,
    message_id: delivery.messageId,
    kind: delivery.kind,
    config_id: delivery.configId,
    run_id: delivery.runId,
    event_time: delivery.eventTime?.getTime() ?? null,
    content_type: delivery.contentType,
    body: delivery.body,
    status: 'pending',
    created_at: nowMs,
    next_attempt_at: nowMs,
  };
}

/** Inserts queued messages; one already queued under the same message id is left as it is. */
export async function insertDeliveries(db: Kysely<Database> | Transaction<Database>, deliveries: NewDelivery[], nowMs: number): Promise<void> {
  for (let start = 0; start < deliveries.length; start += INSERT_CHUNK) {
    const rows = deliveries.slice(start, start + INSERT_CHUNK).map((delivery) => deliveryRow(delivery, nowMs));
    await db
      .insertInto('deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['subscription_id', 'message_id']).doNothing())
      .execute();
  }
}

export async function insertDelivery(db: Kysely<Database>, delivery: NewDelivery, now: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('subscriptions').select('id').where('id', '=', delivery.subscriptionId).executeTakeFirst();
    if (!exists) return false;
    await insertDeliveries(trx, [delivery], now.getTime());
    return true;
  });
}

export async function countFailing(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('subscriptions')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('failing_since', 'is not', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Finished messages (delivered or given up) older than `before`, in bounded batches. */
export async function pruneFinishedDeliveries(db: Kysely<Database>, before: Date, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('deliveries')
    .where('seq', 'in', (qb) =>
      qb
        .selectFrom('deliveries')
        .select('seq')
        .where('status', '<>', 'pending')
        .where('created_at', '<', before.getTime())
        .orderBy('seq')
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
