import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { EpssScore, KevListing } from '../domain/finding.js';
import type { EventFinding } from '../domain/event.js';
import type { Severity } from '../domain/severity.js';
import { bumpStoreRevision } from '../store/configs-repo.js';
import { appendEvents, type NewEvent } from '../store/events-repo.js';
import { refreshImageCounts } from '../store/image-counts.js';
import type { Database } from '../store/tables.js';
import { effectiveValues, epssBand, epssOf, kevOf, type NvdScore, nvdOf, PRIORITISATION_COLUMNS } from './prioritised-finding.js';

/**
 * What an import changed, per CVE: the values before it, for the parts that changed. The
 * open findings of those CVEs get a `finding.changed` event and their images' counts are
 * recomputed, in the import's transaction, so that the log, the counts and the data agree.
 */
export interface PreviousValues {
  kev?: KevListing | null;
  epss?: EpssScore | null;
  nvd?: NvdScore | null;
}

const CVE_CHUNK = 1000;

export interface UpdateOptions {
  /**
   * False for a baseline: the first data of its kind, where nothing was known before. Its
   * counts are recounted but no event is written: enabling a source is not a change of
   * tens of thousands of findings, and would flood every subscription.
   */
  announce: boolean;
  /** Whether the data can change severities or KEV counts (EPSS cannot). */
  affectsCounts: boolean;
}

export async function applyFindingUpdates(trx: Transaction<Database>, changed: ReadonlyMap<string, PreviousValues>, now: number, options: UpdateOptions): Promise<number> {
  if (!options.announce) {
    if (options.affectsCounts) await refreshImageCounts(trx, await imagesOf(trx, [...changed.keys()]));
    await bumpRevisions(trx);
    return 0;
  }
  const events: NewEvent[] = [];
  const recount = new Set<number>();
  // One run id per configuration per import, so that webhooks send one message per
  // configuration for an import, as for a scan, rather than one per finding.
  const runIds = new Map<string, string>();
  const runOf = (configId: string): string => {
    const known = runIds.get(configId);
    if (known) return known;
    const id = randomUUID();
    runIds.set(configId, id);
    return id;
  };
  const cves = [...changed.keys()];
  for (let start = 0; start < cves.length; start += CVE_CHUNK) {
    const rows = await trx
      .selectFrom('findings')
      .innerJoin('images', 'images.id', 'findings.image_id')
      .leftJoin('kev_entries', 'kev_entries.cve', 'findings.cve')
      .leftJoin('epss_scores', 'epss_scores.cve', 'findings.cve')
      .leftJoin('nvd_cvss', 'nvd_cvss.cve', 'findings.cve')
      .select([
        'findings.id',
        'findings.config_id',
        'findings.image_id',
        'findings.cve',
        'findings.name',
        'findings.package',
        'findings.version',
        'findings.fixed_version',
        'findings.severity',
        'findings.uri',
        'findings.cvss_score',
        'findings.cvss_vector',
        'findings.aliases',
        'findings.path',
        'images.tag',
        'images.digest',
        ...PRIORITISATION_COLUMNS,
      ])
      .where('findings.cve', 'in', cves.slice(start, start + CVE_CHUNK))
      .where('findings.fixed_at', 'is', null)
      .where('images.removed_at', 'is', null)
      .orderBy('findings.id')
      .execute();
    for (const row of rows) {
      const previous = changed.get(row.cve ?? '') ?? {};
      const advisorySeverity = row.severity as Severity;
      const cvss = row.cvss_score === null && row.cvss_vector === null ? null : { score: row.cvss_score, vector: row.cvss_vector };
      const kev = kevOf(row);
      const epss = epssOf(row);
      const nvd = nvdOf(row);
      const now_ = effectiveValues(advisorySeverity, cvss, nvd);
      const before = effectiveValues(advisorySeverity, cvss, 'nvd' in previous ? (previous.nvd ?? null) : nvd);
      const kevBefore = 'kev' in previous ? (previous.kev ?? null) : kev;
      const epssBefore = 'epss' in previous ? (previous.epss ?? null) : epss;
      const kevChanged = JSON.stringify(kevBefore) !== JSON.stringify(kev);
      const severityChanged = before.severity !== now_.severity || JSON.stringify(before.cvss) !== JSON.stringify(now_.cvss);
      if (kevChanged || severityChanged) recount.add(Number(row.image_id));
      if (!kevChanged && !severityChanged && epssBand(epssBefore) === epssBand(epss)) continue;
      const finding: EventFinding = {
        name: row.name,
        severity: now_.severity,
        package: row.package === '' ? null : row.package,
        version: row.version,
        fixedVersion: row.fixed_version,
        uri: row.uri,
        cvss: now_.cvss,
        aliases: JSON.parse(row.aliases) as string[],
        path: row.path,
        kev,
        epss,
        severitySource: now_.severitySource,
      };
      events.push({
        type: 'finding.changed',
        configId: row.config_id,
        runId: runOf(row.config_id),
        tag: row.tag,
        digest: row.digest,
        severity: now_.severity,
        findingId: Number(row.id),
        detail: { finding, previous: { severity: before.severity, fixedVersion: row.fixed_version, cvss: before.cvss, kev: kevBefore, epss: epssBefore } },
      });
    }
  }
  await refreshImageCounts(trx, [...recount]);
  if (events.length > 0) {
    await bumpConfigRevisions(trx);
    await appendEvents(trx, events, now);
  } else {
    await bumpRevisions(trx);
  }
  return events.length;
}

/** The images with open findings of these CVEs. */
async function imagesOf(trx: Transaction<Database>, cves: string[]): Promise<number[]> {
  const ids = new Set<number>();
  for (let start = 0; start < cves.length; start += CVE_CHUNK) {
    const rows = await trx
      .selectFrom('findings')
      .select('image_id')
      .distinct()
      .where('cve', 'in', cves.slice(start, start + CVE_CHUNK))
      .where('fixed_at', 'is', null)
      .execute();
    for (const row of rows) ids.add(Number(row.image_id));
  }
  return [...ids];
}

/** Findings pages are validated by their configuration's revision: every one may show new data. */
async function bumpConfigRevisions(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('configs')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .execute();
}

async function bumpRevisions(trx: Transaction<Database>): Promise<void> {
  await bumpConfigRevisions(trx);
  await bumpStoreRevision(trx);
}
