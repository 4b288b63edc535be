import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { bumpStoreRevision } from './configs-repo.js';
import { toDate, toScanConfig } from './rows.js';
import type { ClaimedScan, RunOutcome, ScanRun, ScanTrigger } from './store.js';
import type { StoreDialect } from './dialect.js';
import type { Database, ScanRunsTable } from './tables.js';

function toRun(row: Selectable<ScanRunsTable>): ScanRun {
  return {
    id: row.id,
    configId: row.config_id,
    trigger: row.trigger as ScanTrigger,
    requestedAt: new Date(Number(row.requested_at)),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    outcome: row.outcome as RunOutcome,
    error: row.error,
  };
}

export async function queueRun(db: Kysely<Database>, configId: string, now: Date): Promise<ScanRun | undefined> {
  return db.transaction().execute(async (trx) => {
    // Writing the row (a no-op) rather than reading it locks it until commit, so that on
    // PostgreSQL requests arriving together queue one run between them.
    const config = await trx
      .updateTable('configs')
      .set((eb) => ({ status: eb.ref('status') }))
      .where('id', '=', configId)
      .returning(['id', 'status'])
      .executeTakeFirst();
    if (!config) return undefined;
    const queued = await trx
      .selectFrom('scan_runs')
      .selectAll()
      .where('config_id', '=', configId)
      .where('outcome', '=', 'QUEUED')
      .executeTakeFirst();
    if (queued) return toRun(queued);
    const run = {
      id: randomUUID(),
      config_id: configId,
      trigger: 'manual',
      requested_at: now.getTime(),
      started_at: null,
      finished_at: null,
      outcome: 'QUEUED',
      error: null,
      owner: null,
      images: null,
    };
    await trx.insertInto('scan_runs').values(run).execute();
    const status = config.status === 'SCANNING' ? 'SCANNING' : 'QUEUED';
    await trx.updateTable('configs').set({ next_scan_at: now.getTime(), status }).where('id', '=', configId).execute();
    await bumpStoreRevision(trx);
    return toRun(run);
  });
}

export async function selectRun(db: Kysely<Database>, id: string): Promise<ScanRun | undefined> {
  const row = await db.selectFrom('scan_runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function claimDue(
  db: Kysely<Database>,
  dialect: StoreDialect,
  owner: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedScan[]> {
  const nowMs = now.getTime();
  const until = nowMs + leaseMs;
  return db.transaction().execute(async (trx) => {
    let due = trx
      .selectFrom('configs')
      .select('id')
      .where('next_scan_at', '<=', nowMs)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', nowMs)]))
      .orderBy('next_scan_at')
      .limit(limit);
    // PostgreSQL: processes claiming at once pass over each other's rows instead of waiting.
    if (dialect === 'postgres') due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((row) => row.id);
    if (ids.length === 0) return [];
    const rows = await trx
      .updateTable('configs')
      .set({ lease_owner: owner, lease_expires_at: until, status: 'SCANNING', progress_done: null, progress_total: null })
      .where('id', 'in', ids)
      .returningAll()
      .execute();
    const claimed: ClaimedScan[] = [];
    for (const row of rows) {
      claimed.push({ config: toScanConfig(row), runId: await startRun(trx, row.id, owner, nowMs), leaseExpiresAt: new Date(until) });
    }
    // Claimed configurations show SCANNING: the summary must not serve them from before.
    // Last, as in every write: other writers wait on the revision row until this commits.
    await bumpStoreRevision(trx);
    return claimed;
  });
}

/** Marks a crashed owner's run abandoned, then starts the queued run or a scheduled one. */
async function startRun(trx: Transaction<Database>, configId: string, owner: string, nowMs: number): Promise<string> {
  await trx
    .updateTable('scan_runs')
    .set({ outcome: 'ABANDONED', finished_at: nowMs, error: 'the process scanning this configuration stopped before it finished' })
    .where('config_id', '=', configId)
    .where('outcome', '=', 'RUNNING')
    .execute();
  const queued = await trx
    .selectFrom('scan_runs')
    .select('id')
    .where('config_id', '=', configId)
    .where('outcome', '=', 'QUEUED')
    .orderBy('requested_at')
    .executeTakeFirst();
  if (queued) {
    await trx
      .updateTable('scan_runs')
      .set({ outcome: 'RUNNING', started_at: nowMs, owner })
      .where('id', '=', queued.id)
      .execute();
    return queued.id;
  }
  const id = randomUUID();
  await trx
    .insertInto('scan_runs')
    .values({
      id,
      config_id: configId,
      trigger: 'schedule',
      requested_at: nowMs,
      started_at: nowMs,
      finished_at: null,
      outcome: 'RUNNING',
      error: null,
      owner,
      images: null,
    })
    .execute();
  return id;
}

export async function extendLease(db: Kysely<Database>, configId: string, owner: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('configs')
    .set({ lease_expires_at: until.getTime() })
    .where('id', '=', configId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function dropLeases(db: Kysely<Database>, owner: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const held = await trx.selectFrom('configs').select('id').where('lease_owner', '=', owner).execute();
    if (held.length === 0) return;
    const ids = held.map((row) => row.id);
    await trx
      .updateTable('scan_runs')
      .set({ outcome: 'QUEUED', started_at: null, owner: null })
      .where('config_id', 'in', ids)
      .where('outcome', '=', 'RUNNING')
      .where('owner', '=', owner)
      .execute();
    await trx
      .updateTable('configs')
      .set({ lease_owner: null, lease_expires_at: null, status: 'QUEUED', next_scan_at: now.getTime() })
      .where('id', 'in', ids)
      .execute();
    await bumpStoreRevision(trx);
  });
}

export async function earliestDue(db: Kysely<Database>): Promise<Date | null> {
  const row = await db
    .selectFrom('configs')
    .select((eb) => eb.fn.min('next_scan_at').as('due'))
    .executeTakeFirst();
  return row?.due === null || row?.due === undefined ? null : new Date(Number(row.due));
}

/** How many processes hold a live lease: those scanning (or re-matching) now, which share registry budgets. */
export async function leaseHolders(db: Kysely<Database>, now: Date): Promise<number> {
  const row = await db
    .selectFrom('configs')
    .select((eb) => eb.fn.count<number>('lease_owner').distinct().as('owners'))
    .where('lease_expires_at', '>', now.getTime())
    .executeTakeFirst();
  return Number(row?.owners ?? 0);
}

/** Takes a free or expired lease without starting a run: see `Store.leaseConfig`. */
export async function takeLease(db: Kysely<Database>, configId: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
  const nowMs = now.getTime();
  const result = await db
    .updateTable('configs')
    .set({ lease_owner: owner, lease_expires_at: nowMs + leaseMs })
    .where('id', '=', configId)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', nowMs), eb('lease_owner', '=', owner)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function giveBackLease(db: Kysely<Database>, configId: string, owner: string): Promise<void> {
  await db.updateTable('configs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', configId).where('lease_owner', '=', owner).execute();
}
