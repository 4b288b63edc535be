import type { Kysely, Selectable, Transaction } from 'kysely';
import type { EventDetail } from '../domain/event.js';
import type { Finding } from '../domain/finding.js';
import type { Severity } from '../domain/severity.js';
import { type ImageStatus, isFailingStatus } from '../domain/image.js';
import { cveOf } from '../prioritisation/cve-key.js';
import { appendEvents, type NewEvent, type PendingEvent } from './events-repo.js';
import { diffFindings, findingKey, isUnsettled, type PreviousFinding } from './finding-changes.js';
import { refreshImageCounts } from './image-counts.js';
import { toFinding } from './rows.js';
import { coverImageFindings } from './suppression-coverage.js';
import type { ImageResult, ScanResult } from './store.js';
import type { Database, ImagesTable } from './tables.js';

// Rows per INSERT: 17 columns × 500 stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 500;
// Ids per `IN (…)` list, for the same limits whatever the number of images or findings.
const ID_CHUNK = 1000;

type ImageRow = Pick<Selectable<ImagesTable>, 'id' | 'tag' | 'digest' | 'status' | 'removed_at'>;

/** What every event of one commit shares. */
interface CommitContext {
  trx: Transaction<Database>;
  configId: string;
  runId: string;
  now: number;
  events: PendingEvent[];
}

/**
 * Writes a whole scan in one transaction, with one event per change it makes (the
 * transactional outbox): findings new, fixed, reopened or changed; images added, removed or
 * moved to another digest; scans starting or ceasing to fail. A rescan that changes nothing
 * writes no event. False, and nothing written, when the lease was lost.
 */
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
      .returning(['failing_since'])
      .executeTakeFirst();
    if (!held) return false;
    const context: CommitContext = { trx, configId: result.configId, runId: result.runId, now, events: [] };
    if (result.partialImages) {
      await writePartial(context, result.images ?? []);
      return true;
    }
    if (result.images) await writeImages(context, result.images);
    const failingSince = configFailure(context, result, held.failing_since === null ? null : Number(held.failing_since));
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
        failing_since: failingSince,
        revision: eb('revision', '+', 1),
      }))
      .where('id', '=', result.configId)
      .execute();
    await trx
      .updateTable('scan_runs')
      .set({ outcome: result.status, finished_at: now, error: result.error, images: result.images?.length ?? null })
      .where('id', '=', result.runId)
      .execute();
    await appendEvents(trx, context.events, now);
    return true;
  });
}

/**
 * Some images of a configuration, re-evaluated without a scan (a re-match after an advisory
 * change): the others stay as they are, and so do the configuration's status, schedule and
 * runs. Only the lease is given back; when no image changed, nothing else is written, no
 * revision moves and no event is logged.
 */
async function writePartial(context: CommitContext, images: ImageResult[]): Promise<void> {
  let changed = 0;
  if (images.length > 0) {
    const tags = images.map((image) => image.tag);
    const known: ImageRow[] = [];
    for (let start = 0; start < tags.length; start += ID_CHUNK) {
      known.push(
        ...(await context.trx
          .selectFrom('images')
          .select(['id', 'tag', 'digest', 'status', 'removed_at'])
          .where('config_id', '=', context.configId)
          .where('tag', 'in', tags.slice(start, start + ID_CHUNK))
          .execute()),
      );
    }
    const byTag = new Map(known.map((row) => [row.tag, row]));
    for (const image of images) {
      const before = byTag.get(image.tag);
      // Only images already shown are re-evaluated; one that changes nothing is not written.
      if (!before || before.removed_at !== null || image.findings === null) continue;
      const previous = await previousFindings(context.trx, Number(before.id));
      if (isUnchanged(previous, dedupeFindings(image.findings), image)) continue;
      changed++;
      await writeImage(context, image, before, previous);
    }
  }
  if (changed === 0) {
    await context.trx.updateTable('configs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', context.configId).execute();
    return;
  }
  await context.trx
    .updateTable('configs')
    .set((eb) => ({ lease_owner: null, lease_expires_at: null, revision: eb('revision', '+', 1) }))
    .where('id', '=', context.configId)
    .execute();
  await appendEvents(context.trx, context.events, context.now);
}

/** The same open findings, none reopened, changed or closed: nothing a reader could see differs. */
function isUnchanged(previous: Map<string, PreviousFinding>, findings: Finding[], image: ImageResult): boolean {
  for (const finding of findings) {
    if (!previous.get(findingKey(finding.name, finding.package))?.open) return false;
  }
  return diffFindings(previous, findings, new Set(image.unsettledPaths ?? [])).length === 0;
}

/**
 * A configuration fails as a whole when its images cannot even be listed; each image's own
 * failures are its events. Returns the new `failing_since`, recording the transition.
 */
function configFailure(context: CommitContext, result: ScanResult, failingSince: number | null): number | null {
  const failing = result.images === null && result.status === 'FAILED';
  if (failing && failingSince === null) {
    pushEvent(context, 'scan.failed', null, null, null, { scope: 'config', status: 'FAILED', error: result.error });
    return context.now;
  }
  if (!failing && failingSince !== null && result.images !== null) {
    pushEvent(context, 'scan.recovered', null, null, null, { scope: 'config' });
    return null;
  }
  return failingSince;
}

async function writeImages(context: CommitContext, images: ImageResult[]): Promise<void> {
  const known = await context.trx
    .selectFrom('images')
    .select(['id', 'tag', 'digest', 'status', 'removed_at'])
    .where('config_id', '=', context.configId)
    .execute();
  const byTag = new Map(known.map((row) => [row.tag, row]));
  for (const image of images) await writeImage(context, image, byTag.get(image.tag));
  const listed = new Set(images.map((image) => image.tag));
  const vanished = known.filter((row) => row.removed_at === null && !listed.has(row.tag));
  for (const row of vanished) await removeImage(context, row);
}

async function writeImage(context: CommitContext, image: ImageResult, before: ImageRow | undefined, known?: Map<string, PreviousFinding>): Promise<void> {
  imageEvents(context, image, before);
  const row = await context.trx
    .insertInto('images')
    .values({
      config_id: context.configId,
      tag: image.tag,
      digest: image.digest,
      status: image.status,
      error: image.error,
      scanned_at: context.now,
      scanner: image.scanner,
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      informational: 0,
      undefined: 0,
      removed_at: null,
    })
    .onConflict((oc) =>
      oc.columns(['config_id', 'tag']).doUpdateSet({
        // A failed scan keeps the digest last scanned, so that counts and findings still match it.
        digest: image.findings === null ? (eb) => eb.fn.coalesce('images.digest', 'excluded.digest') : (eb) => eb.ref('excluded.digest'),
        status: (eb) => eb.ref('excluded.status'),
        error: (eb) => eb.ref('excluded.error'),
        scanned_at: (eb) => eb.ref('excluded.scanned_at'),
        scanner: (eb) => eb.ref('excluded.scanner'),
        removed_at: null,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  if (image.findings === null) return;
  const imageId = Number(row.id);
  const digest = image.digest;
  const findings = dedupeFindings(image.findings);
  const unsettled = new Set(image.unsettledPaths ?? []);
  const withdrawn = new Set(image.withdrawnAdvisories ?? []);
  // An image that was not there before has no findings yet: no need to read them.
  const previous = known ?? (before ? await previousFindings(context.trx, imageId) : new Map<string, PreviousFinding>());
  await upsertFindings(context, imageId, findings);
  // Suppressed findings leave counts and feeds, and their changes notify no one.
  const suppressed = await coverImageFindings(context.trx, context.configId, imageId, image.tag, context.now);
  let lastKnownId = 0;
  for (const known of previous.values()) lastKnownId = Math.max(lastKnownId, known.id);
  context.events.push({ type: 'finding.new*', configId: context.configId, runId: context.runId, imageId, afterFindingId: lastKnownId, tag: image.tag, digest });
  const withdrawnIds: number[] = [];
  for (const change of diffFindings(previous, findings, unsettled)) {
    const detail: EventDetail = { finding: change.finding };
    if (change.type === 'finding.changed') detail.previous = change.previous;
    if (change.type === 'finding.fixed') {
      detail.reason = isWithdrawn(change.finding, withdrawn) ? 'withdrawn' : 'not_found';
      if (detail.reason === 'withdrawn') withdrawnIds.push(change.findingId);
    }
    if (!suppressed.has(change.findingId)) pushEvent(context, change.type, image.tag, digest, change.finding.severity, detail, change.findingId);
  }
  // Closed first with their own reason; the rest of the unseen close as not found.
  for (let start = 0; start < withdrawnIds.length; start += ID_CHUNK) {
    await context.trx
      .updateTable('findings')
      .set({ fixed_at: context.now, close_reason: 'withdrawn' })
      .where('id', 'in', withdrawnIds.slice(start, start + ID_CHUNK))
      .execute();
  }
  await closeUnseenFindings(context, imageId, unsettled);
  await refreshImageCounts(context.trx, [imageId]);
}

/** Image-level events: a tag that appears, moves to another digest, starts or stops failing. */
function imageEvents(context: CommitContext, image: ImageResult, before: ImageRow | undefined): void {
  const present = before !== undefined && before.removed_at === null;
  if (!present) pushEvent(context, 'image.added', image.tag, image.digest, null, {});
  else if (image.findings !== null && before.digest !== null && image.digest !== null && before.digest !== image.digest) {
    pushEvent(context, 'image.digest_changed', image.tag, image.digest, null, { previousDigest: before.digest });
  }
  const wasFailing = present && isFailingStatus(before.status as ImageStatus);
  const failing = isFailingStatus(image.status);
  if (failing && !wasFailing) {
    pushEvent(context, 'scan.failed', image.tag, image.digest, null, { scope: 'image', status: image.status, error: image.error });
  } else if (!failing && wasFailing) {
    pushEvent(context, 'scan.recovered', image.tag, image.digest, null, { scope: 'image', status: image.status });
  }
}

/**
 * A tag that left the repository: its open findings close with reason `image_removed` and
 * the image is kept, hidden from the summary, so that its history stays listable and a tag
 * that comes back reopens them.
 */
async function removeImage(context: CommitContext, image: ImageRow): Promise<void> {
  const closed = await context.trx
    .updateTable('findings')
    .set({ fixed_at: context.now, close_reason: 'image_removed' })
    .where('image_id', '=', image.id)
    .where('fixed_at', 'is', null)
    .executeTakeFirst();
  await context.trx.updateTable('images').set({ removed_at: context.now }).where('id', '=', image.id).execute();
  await refreshImageCounts(context.trx, [Number(image.id)]);
  pushEvent(context, 'image.removed', image.tag, image.digest, null, { closedFindings: Number(closed.numUpdatedRows) });
}

function pushEvent(
  context: CommitContext,
  type: NewEvent['type'],
  tag: string | null,
  digest: string | null,
  severity: Severity | null,
  detail: EventDetail,
  findingId: number | null = null,
): void {
  context.events.push({ type, configId: context.configId, runId: context.runId, tag, digest, severity, detail, findingId });
}

async function previousFindings(trx: Transaction<Database>, imageId: number): Promise<Map<string, PreviousFinding>> {
  const rows = await trx
    .selectFrom('findings')
    .select(['id', 'name', 'package', 'severity', 'version', 'fixed_version', 'uri', 'cvss_score', 'cvss_vector', 'aliases', 'path', 'fixed_at'])
    .where('image_id', '=', imageId)
    .execute();
  const byKey = new Map<string, PreviousFinding>();
  for (const row of rows) {
    const { description: _description, ...finding } = toFinding(row);
    byKey.set(findingKey(finding.name, finding.package), { id: Number(row.id), finding, open: row.fixed_at === null });
  }
  return byKey;
}

async function upsertFindings(context: CommitContext, imageId: number, findings: Finding[]): Promise<void> {
  for (let start = 0; start < findings.length; start += INSERT_CHUNK) {
    const rows = findings.slice(start, start + INSERT_CHUNK).map((finding) => ({
      image_id: imageId,
      config_id: context.configId,
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
      first_seen: context.now,
      last_seen: context.now,
      fixed_at: null,
      seen_run: context.runId,
      close_reason: null,
      cve: cveOf(finding.name, finding.aliases),
    }));
    await context.trx
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
          cve: eb.ref('excluded.cve'),
          path: eb.ref('excluded.path'),
          last_seen: eb.ref('excluded.last_seen'),
          fixed_at: null,
          close_reason: null,
          seen_run: eb.ref('excluded.seen_run'),
        })),
      )
      .execute();
  }
}

/** Open findings this complete scan did not see are fixed, except those read from unsettled files. */
async function closeUnseenFindings(context: CommitContext, imageId: number, unsettled: ReadonlySet<string>): Promise<void> {
  const unseen = context.trx
    .updateTable('findings')
    .set({ fixed_at: context.now, close_reason: 'not_found' })
    .where('image_id', '=', imageId)
    .where('fixed_at', 'is', null)
    .where('seen_run', '<>', context.runId);
  if (unsettled.size === 0) {
    await unseen.execute();
    return;
  }
  // Unsettled files can be many (every package.json of an ecosystem without advisories),
  // so they are filtered here rather than sent as one oversized `NOT IN` list.
  const candidates = await context.trx
    .selectFrom('findings')
    .select(['id', 'path'])
    .where('image_id', '=', imageId)
    .where('fixed_at', 'is', null)
    .where('seen_run', '<>', context.runId)
    .execute();
  const ids = candidates.filter((row) => !isUnsettled(row, unsettled)).map((row) => row.id);
  for (let start = 0; start < ids.length; start += ID_CHUNK) {
    await unseen.where('id', 'in', ids.slice(start, start + ID_CHUNK)).execute();
  }
}

/** Whether a finding came from a withdrawn advisory: by its name, or a record id among its aliases. */
function isWithdrawn(finding: Pick<Finding, 'name' | 'aliases'>, withdrawn: ReadonlySet<string>): boolean {
  if (withdrawn.size === 0) return false;
  return withdrawn.has(finding.name) || finding.aliases.some((alias) => withdrawn.has(alias));
}

/** One finding per (name, package) per image: a second report of the same one would break the upsert. */
function dedupeFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) byKey.set(findingKey(finding.name, finding.package), finding);
  return [...byKey.values()];
}

