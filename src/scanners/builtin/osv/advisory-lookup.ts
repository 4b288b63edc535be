import { type Advisory, type AdvisoryAffected, type AdvisorySummary, namesOf, summaryOf } from './advisory.js';

/**
 * What the matcher needs from wherever advisories are kept: the entries naming given
 * packages, record summaries by id (read only for the entries that match), and which
 * records go by given names. Withdrawn records are never returned. The store implements
 * it over SQL (`advisory-store.ts`); `createMemoryAdvisoryLookup` over a list.
 */

export interface PackageKey {
  /** As written in records: `Debian:12`, or `Debian` for records that name no release. */
  ecosystem: string;
  name: string;
}

export interface AffectedRow extends AdvisoryAffected {
  advisoryId: string;
}

export interface NamedAdvisory {
  name: string;
  advisoryId: string;
}

export interface AdvisoryLookup {
  /**
   * Affected entries, of records not withdrawn, whose (ecosystem, package) is one of
   * `keys`; in batches, so that a caller keeps only the entries it needs.
   */
  affectedEntries(keys: readonly PackageKey[]): AsyncIterable<AffectedRow[]>;
  /** Records not withdrawn that go by one of `names`: as their id, an alias, an upstream id or the CVE they wrap. */
  advisoriesNamed(names: readonly string[]): Promise<NamedAdvisory[]>;
  /** Summaries of the records not withdrawn among `ids`. */
  advisories(ids: readonly string[]): Promise<AdvisorySummary[]>;
  /**
   * Whether any record names a package of the ecosystem (`Alpine`: of any release): an
   * ecosystem without any has no advisory data here, and nothing can be said fixed in it.
   */
  hasEcosystem(base: string): Promise<boolean>;
}

export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${name}`;
}

/** A lookup over advisories held in memory; the latest `modified` of an id wins, as OSV specifies. */
export function createMemoryAdvisoryLookup(list: readonly Advisory[]): AdvisoryLookup {
  const latest = new Map<string, Advisory>();
  for (const advisory of list) {
    const known = latest.get(advisory.id);
    if (!known || known.modified < advisory.modified) latest.set(advisory.id, advisory);
  }
  const summaries = new Map<string, AdvisorySummary>();
  const byPackage = new Map<string, AffectedRow[]>();
  const byName = new Map<string, string[]>();
  for (const advisory of latest.values()) {
    if (advisory.withdrawn !== null) continue;
    const summary = summaryOf(advisory);
    summaries.set(advisory.id, summary);
    for (const entry of advisory.affected) {
      const key = packageKey(entry.ecosystem, entry.package);
      byPackage.set(key, [...(byPackage.get(key) ?? []), { ...entry, advisoryId: advisory.id }]);
    }
    for (const name of namesOf(advisory)) byName.set(name, [...(byName.get(name) ?? []), advisory.id]);
  }
  return {
    affectedEntries: async function* (keys) {
      yield [...new Set(keys.map((key) => packageKey(key.ecosystem, key.name)))].flatMap((key) => byPackage.get(key) ?? []);
    },
    advisoriesNamed: async (names) => [...new Set(names)].flatMap((name) => (byName.get(name) ?? []).map((advisoryId) => ({ name, advisoryId }))),
    advisories: async (ids) => [...new Set(ids)].flatMap((id) => summaries.get(id) ?? []),
    hasEcosystem: async (base) => [...byPackage.values()].some((rows) => rows.some((row) => row.ecosystem === base || row.ecosystem.startsWith(`${base}:`))),
  };
}
