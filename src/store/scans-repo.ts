import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Finding } from '../domain/finding.js';
import { type Severity, zeroCounts } from '../domain/severity.js';
import { bumpStoreRevision } from './configs-repo.js';
import { toDate, toScanConfig } from './rows.js';
import type { ClaimedScan, ImageResult, RunOutcome, ScanResult, ScanRun, ScanTrigger } from './store.js';
import type { StoreDialect } from './dialect.js';
import type { Database, ScanRunsTable } from './tables.js';

// Rows per INSERT: 17 columns × 500 stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 500;

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
      .set({ lease_owner: owner, lease_expires_at: until, status: 'SCANNING' })
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

export async function writeScan(db: Kysely<Database>, result: ScanResult): Promise<boolean> {
  const now = result.finishedAt.getTime();
  return db.transaction().execute(async (trx) => {
    // Writing the row (a no-op) rather than reading it locks it until commit, so that on
    // PostgreSQL no claimer can take the lease, nor a delete remove the configuration, while
    // this result is written; SQLite takes its write lock here.
    const held = await trx
      .updateTable('configs')
      .set({ lease_owner: result.owner })
      .where('id', '=', result.configId)
      .where('lease_owner', '=', result.owner)
      .executeTakeFirst();
    if (Number(held.numUpdatedRows) === 0) return false;
    if (result.images) {
      for (const image of result.images) await writeImage(trx, result.configId, result.runId, image, now);
      await removeVanishedImages(trx, result.configId, result.images.map((image) => image.tag));
    }
    const queuedMeanwhile = await trx
      .selectFrom('scan_runs')
      .select('id')
      .where('config_id', '=', result.configId)
      .where('outcome', '=', 'QUEUED')
      .executeTakeFirst();
    await trx
      .updateTable('configs')
      .set((eb) => ({
        status: queuedMeanwhile ? 'QUEUED' : result.status,
        last_scan_at: now,
        last_error: result.error,
        next_scan_at: queuedMeanwhile ? now : result.nextScanAt.getTime(),
        lease_owner: null,
        lease_expires_at: null,
        revision: eb('revision', '+', 1),
      }))
      .where('id', '=', result.configId)
      .execute();
    await trx
      .updateTable('scan_runs')
      .set({ outcome: result.status, finished_at: now, error: result.error, images: result.images?.length ?? null })
      .where('id', '=', result.runId)
      .execute();
    await bumpStoreRevision(trx);
    return true;
  });
}

async function writeImage(trx: Transaction<Database>, configId: string, runId: string, image: ImageResult, now: number): Promise<void> {
  const row = await trx
    .insertInto('images')
    .values({
      config_id: configId,
      tag: image.tag,
      digest: image.digest,
      status: image.status,
      error: image.error,
      scanned_at: now,
      scanner: image.scanner,
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      informational: 0,
      undefined: 0,
    })
    .onConflict((oc) =>
      oc.columns(['config_id', 'tag']).doUpdateSet({
        // A failed scan keeps the digest last scanned, so that counts and findings still match it.
        digest: image.findings === null ? (eb) => eb.fn.coalesce('images.digest', 'excluded.digest') : (eb) => eb.ref('excluded.digest'),
        status: (eb) => eb.ref('excluded.status'),
        error: (eb) => eb.ref('excluded.error'),
        scanned_at: (eb) => eb.ref('excluded.scanned_at'),
        scanner: (eb) => eb.ref('excluded.scanner'),
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  if (image.findings === null) return;
  const imageId = Number(row.id);
  await upsertFindings(trx, configId, imageId, runId, dedupeFindings(image.findings), now);
  await trx
    .updateTable('findings')
    .set({ fixed_at: now })
    .where('image_id', '=', imageId)
    .where('fixed_at', 'is', null)
    .where('seen_run', '<>', runId)
    .execute();
  await refreshCounts(trx, imageId);
}

async function upsertFindings(
  trx: Transaction<Database>,
  configId: string,
  imageId: number,
  runId: string,
  findings: Finding[],
  now: number,
): Promise<void> {
  for (let start = 0; start < findings.length; start += INSERT_CHUNK) {
    const rows = findings.slice(start, start + INSERT_CHUNK).map((finding) => ({
      image_id: imageId,
      config_id: configId,
      name: finding.name,
      package: finding.package ?? '',
      version: finding.version,
      fixed_version: finding.fixedVersion,
      severity: finding.severity,
      uri: finding.uri,
      description: finding.description,
      cvss_score: finding.cvss?.score ?? null,
      cvss_vector: finding.cvss?.vector ?? null,
      aliases: JSON.stringify(finding.aliases),
      path: finding.path,
      first_seen: now,
      last_seen: now,
      fixed_at: null,
      seen_run: runId,
    }));
    await trx
      .insertInto('findings')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['image_id', 'name', 'package']).doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          fixed_version: eb.ref('excluded.fixed_version'),
          severity: eb.ref('excluded.severity'),
          uri: eb.ref('excluded.uri'),
          description: eb.ref('excluded.description'),
          cvss_score: eb.ref('excluded.cvss_score'),
          cvss_vector: eb.ref('excluded.cvss_vector'),
          aliases: eb.ref('excluded.aliases'),
          path: eb.ref('excluded.path'),
          last_seen: eb.ref('excluded.last_seen'),
          fixed_at: null,
          seen_run: eb.ref('excluded.seen_run'),
        })),
      )
      .execute();
  }
}

/** One finding per (name, package) per image: a second report of the same one would break the upsert. */
function dedupeFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) byKey.set(`${finding.name}\u0000${finding.package ?? ''}`, finding);
  return [...byKey.values()];
}

const COUNT_COLUMNS: Record<Severity, 'critical' | 'high' | 'medium' | 'low' | 'informational' | 'undefined'> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFORMATIONAL: 'informational',
  UNDEFINED: 'undefined',
};

/** Counts are kept on the image row at write time so that the summary never counts findings. */
async function refreshCounts(trx: Transaction<Database>, imageId: number): Promise<void> {
  const rows = await trx
    .selectFrom('findings')
    .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('image_id', '=', imageId)
    .where('fixed_at', 'is', null)
    .groupBy('severity')
    .execute();
  const counts = zeroCounts();
  for (const row of rows) {
    const severity = row.severity as Severity;
    if (severity in counts) counts[severity] = Number(row.n);
  }
  const set = Object.fromEntries(Object.entries(COUNT_COLUMNS).map(([severity, column]) => [column, counts[severity as Severity]]));
  await trx.updateTable('images').set(set).where('id', '=', imageId).execute();
}

async function removeVanishedImages(trx: Transaction<Database>, configId: string, tags: string[]): Promise<void> {
  let stale = trx.selectFrom('images').select('id').where('config_id', '=', configId);
  if (tags.length > 0) stale = stale.where('tag', 'not in', tags);
  const ids = (await stale.execute()).map((row) => row.id);
  if (ids.length === 0) return;
  await trx.deleteFrom('findings').where('image_id', 'in', ids).execute();
  await trx.deleteFrom('images').where('id', 'in', ids).execute();
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
