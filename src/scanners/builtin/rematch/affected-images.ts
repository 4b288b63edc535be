import type { Kysely } from 'kysely';
import type { Database } from '../../../store/tables.js';
import { indexedDigests } from '../inventory-index.js';
import type { PackageKey } from '../osv/advisory-lookup.js';

// Digests per `IN (…)` list: far below every dialect's parameter limit.
const CHUNK = 1000;

export interface AffectedImage {
  tag: string;
  digest: string;
}

/**
 * Image digests whose stored inventory holds one of these packages, from the package index
 * alone. A record naming an ecosystem without release (`Debian`) concerns every release of
 * it (`Debian:12`), as in matching.
 */
export async function affectedDigests(db: Kysely<Database>, packages: readonly PackageKey[]): Promise<Set<string>> {
  const byEcosystem = new Map<string, string[]>();
  for (const key of packages) byEcosystem.set(key.ecosystem, [...(byEcosystem.get(key.ecosystem) ?? []), key.name]);
  const digests = new Set<string>();
  for (const [ecosystem, names] of byEcosystem) for (const digest of await indexedDigests(db, ecosystem, names)) digests.add(digest);
  return digests;
}

// Statuses of images whose findings come from matching their inventory (a distribution
// without advisories still has its language packages matched); a failed scan's findings
// belong to an earlier state.
const MATCHED_STATUSES = ['COMPLETE', 'NO_ADVISORY_SOURCE'];

/**
 * The built-in scanner's images at these digests, per configuration: those whose last scan
 * matched their inventory and whose tag is still there.
 */
export async function affectedImages(db: Kysely<Database>, scanner: string, digests: ReadonlySet<string>): Promise<Map<string, AffectedImage[]>> {
  const byConfig = new Map<string, AffectedImage[]>();
  const list = [...digests];
  for (let start = 0; start < list.length; start += CHUNK) {
    const rows = await db
      .selectFrom('images')
      .innerJoin('configs', 'configs.id', 'images.config_id')
      .select(['images.config_id', 'images.tag', 'images.digest'])
      .where('configs.scanner', '=', scanner)
      .where('images.digest', 'in', list.slice(start, start + CHUNK))
      .where('images.status', 'in', MATCHED_STATUSES)
      .where('images.removed_at', 'is', null)
      .execute();
    for (const row of rows) {
      if (row.digest === null) continue;
      const images = byConfig.get(row.config_id) ?? [];
      images.push({ tag: row.tag, digest: row.digest });
      byConfig.set(row.config_id, images);
    }
  }
  return byConfig;
}
