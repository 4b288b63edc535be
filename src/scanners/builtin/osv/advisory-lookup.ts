import type { Advisory, AdvisoryAffected, AdvisoryDetails } from './advisory.js';

/**
 * What the matcher needs from wherever advisories are kept: the entries naming given
 * packages, and records by id. Withdrawn records are never returned. The store
 * implements it over SQL (`advisory-store.ts`); `createMemoryAdvisoryLookup` over a list.
 */

export interface PackageKey {
  /** As written in records: `Debian:12`, or `Debian` for records that name no release. */
  ecosystem: string;
  name: string;
}

export interface AffectedRow extends AdvisoryAffected {
  advisoryId: string;
}

export interface AdvisoryLookup {
  /** Affected entries, of records not withdrawn, whose (ecosystem, package) is one of `keys`. */
  affectedEntries(keys: readonly PackageKey[]): Promise<AffectedRow[]>;
  /** Records not withdrawn whose id is one of `ids`. */
  advisories(ids: readonly string[]): Promise<AdvisoryDetails[]>;
  /** Records not withdrawn whose id is one of `ids` or that list one of `ids` among their aliases or upstream. */
  advisoriesNaming(ids: readonly string[]): Promise<AdvisoryDetails[]>;
}

export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${name}`;
}

function detailsOf(advisory: Advisory): AdvisoryDetails {
  const { id, aliases, upstream, summary, details, severity, databaseSeverity, references } = advisory;
  return { id, aliases, upstream, summary, details, severity, databaseSeverity, references };
}

/** A lookup over advisories held in memory; the latest `modified` of an id wins, as OSV specifies. */
export function createMemoryAdvisoryLookup(list: readonly Advisory[]): AdvisoryLookup {
  const byId = new Map<string, Advisory>();
  for (const advisory of list) {
    const known = byId.get(advisory.id);
    if (!known || known.modified < advisory.modified) byId.set(advisory.id, advisory);
  }
  const live = [...byId.values()].filter((advisory) => advisory.withdrawn === null);
  const byPackage = new Map<string, AffectedRow[]>();
  const byName = new Map<string, Set<string>>();
  for (const advisory of live) {
    for (const entry of advisory.affected) {
      const key = packageKey(entry.ecosystem, entry.package);
      byPackage.set(key, [...(byPackage.get(key) ?? []), { ...entry, advisoryId: advisory.id }]);
    }
    for (const name of [advisory.id, ...advisory.aliases, ...advisory.upstream]) {
      byName.set(name, (byName.get(name) ?? new Set()).add(advisory.id));
    }
  }
  const detailsFor = (ids: Iterable<string>): AdvisoryDetails[] => {
    const out: AdvisoryDetails[] = [];
    for (const id of new Set(ids)) {
      const advisory = byId.get(id);
      if (advisory && advisory.withdrawn === null) out.push(detailsOf(advisory));
    }
    return out;
  };
  return {
    affectedEntries: async (keys) => [...new Set(keys.map((key) => packageKey(key.ecosystem, key.name)))].flatMap((key) => byPackage.get(key) ?? []),
    advisories: async (ids) => detailsFor(ids),
    advisoriesNaming: async (ids) => detailsFor(ids.flatMap((id) => [...(byName.get(id) ?? [])])),
  };
}
