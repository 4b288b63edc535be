import { type Kysely, PostgresAdapter } from 'kysely';
import type { Database } from '../../../store/tables.js';
import type { PackageKey } from '../osv/advisory-lookup.js';

/**
 * The advisory changes imports record (advisory-store.ts `recordChange`), claimed with a
 * lease like a scan: a process that stops mid-way leaves the rows to whichever process
 * claims them once the lease expires, and a row is marked done only when every
 * configuration it concerns has been re-matched.
 */

export interface ClaimedChanges {
  ids: number[];
  /** When the latest of them was recorded (Unix ms). */
  recordedAt: number;
  /** Every (ecosystem, package) the claimed changes name, once each. */
  packages: PackageKey[];
  /** Advisories the claimed changes withdrew. */
  withdrawn: string[];
}

interface StoredAdvisories {
  added?: string[];
  changed?: string[];
  withdrawn?: string[];
}

function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Leases up to `limit` pending changes, oldest first; none when every pending one is leased. */
export async function claimChanges(db: Kysely<Database>, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedChanges> {
  return db.transaction().execute(async (trx) => {
    let pending = trx
      .selectFrom('advisory_changes')
      .select(['id', 'packages', 'advisories', 'created_at'])
      .where('done_at', 'is', null)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('id')
      .limit(limit);
    // PostgreSQL: processes claiming at once pass over each other's rows instead of waiting.
    if (isPostgres(db)) pending = pending.forUpdate().skipLocked();
    const rows = await pending.execute();
    if (rows.length === 0) return { ids: [], recordedAt: 0, packages: [], withdrawn: [] };
    const ids = rows.map((row) => Number(row.id));
    await trx.updateTable('advisory_changes').set({ lease_owner: owner, lease_expires_at: now + leaseMs }).where('id', 'in', ids).execute();
    const packages = new Map<string, PackageKey>();
    const withdrawn = new Set<string>();
    for (const row of rows) {
      // Written by recordChange from validated records.
      for (const [ecosystem, name] of JSON.parse(row.packages) as Array<[string, string]>) packages.set(`${ecosystem}\u0000${name}`, { ecosystem, name });
      for (const id of (JSON.parse(row.advisories) as StoredAdvisories).withdrawn ?? []) withdrawn.add(id);
    }
    const recordedAt = Math.max(...rows.map((row) => Number(row.created_at)));
    return { ids, recordedAt, packages: [...packages.values()], withdrawn: [...withdrawn] };
  });
}

/** Marks claimed changes done; a row whose lease another process took over meanwhile is left to it. */
export async function finishChanges(db: Kysely<Database>, ids: readonly number[], owner: string, now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('advisory_changes')
    .set({ done_at: now, lease_owner: null, lease_expires_at: null })
    .where('id', 'in', [...ids])
    .where('lease_owner', '=', owner)
    .execute();
}

/** Gives claimed changes back to be claimed again from `retryAt` (a configuration was busy). */
export async function postponeChanges(db: Kysely<Database>, ids: readonly number[], owner: string, retryAt: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('advisory_changes')
    .set({ lease_owner: null, lease_expires_at: retryAt })
    .where('id', 'in', [...ids])
    .where('lease_owner', '=', owner)
    .execute();
}

/** Changes recorded and not yet re-matched. */
export async function pendingChanges(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('advisory_changes')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('done_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Whether a scan of a configuration of this scanner that started before `before` is still
 * running. Such a scan may have matched its images against the advisories as they were,
 * and its images may not show the digests the re-match looks for until it commits: the
 * changes wait for it, and are re-matched once it has committed.
 */
export async function scanRunningSince(db: Kysely<Database>, scanner: string, before: number): Promise<boolean> {
  const running = await db
    .selectFrom('scan_runs')
    .innerJoin('configs', 'configs.id', 'scan_runs.config_id')
    .select('scan_runs.id')
    .where('configs.scanner', '=', scanner)
    .where('scan_runs.outcome', '=', 'RUNNING')
    .where('scan_runs.started_at', '<=', before)
    .limit(1)
    .executeTakeFirst();
  return running !== undefined;
}
