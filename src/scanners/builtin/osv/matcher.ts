import type { Finding } from '../../../domain/finding.js';
import type { Severity } from '../../../domain/severity.js';
import type { Inventory } from '../inventory.js';
import { type AdvisorySummary, embeddedCve, isCveId } from './advisory.js';
import type { AdvisoryLookup } from './advisory-lookup.js';
import { findMatches, type Group, groupMatches, indexSubjects } from './match-groups.js';
import type { OsvSeverity } from './osv-record.js';
import { bestCvss, type CvssScore, cvssSeverity, statedSeverity, toFindingCvss } from './severity.js';

/**
 * Matches an image's packages against OSV advisories: one finding per vulnerability
 * (its CVE when there is one) per package, however many records (DSA, DLA, the
 * distribution's CVE record, a GitHub advisory…) say the package is affected.
 */

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How closely a record's id names the finding: the CVE itself, a distribution's copy of it, anything else. */
function closeness(record: AdvisorySummary, name: string): number {
  if (record.id === name) return 0;
  return embeddedCve(record.id) === name ? 1 : 2;
}

interface Assessed {
  group: Group;
  /** The group's own records, the closest to the finding's name first, then by id. */
  own: AdvisorySummary[];
  /** Severity entries of the matched affected entries (per package, per CVE). */
  entries: OsvSeverity[];
  ownCvss: CvssScore | null;
}

// The functions below run once or more per finding, thousands of times per image; they use
// plain loops rather than callbacks, which cost an allocation each where names are kept.

/** Insertion sort: a finding has one or two own records. */
function ordered(records: readonly AdvisorySummary[], name: string): AdvisorySummary[] {
  const out: AdvisorySummary[] = [];
  for (const record of records) {
    let at = out.length;
    while (at > 0) {
      const before = out[at - 1] as AdvisorySummary;
      const order = closeness(before, name) - closeness(record, name) || byText(before.id, record.id);
      if (order <= 0) break;
      at--;
    }
    out.splice(at, 0, record);
  }
  return out;
}

function severitiesOf(records: readonly AdvisorySummary[], extra: readonly OsvSeverity[] = []): OsvSeverity[] {
  const all: OsvSeverity[] = [...extra];
  for (const record of records) all.push(...record.severity);
  return all;
}

function assess(group: Group): Assessed {
  const own = ordered(group.records, group.name);
  const entries: OsvSeverity[] = [];
  for (const row of group.rows) {
    entries.push(...row.severity);
    for (const cve of row.cves) if (cve.id === group.name) entries.push(...cve.severity);
  }
  return { group, own, entries, ownCvss: bestCvss(severitiesOf(own, entries)) };
}

function firstDescription(records: readonly AdvisorySummary[]): string | null {
  for (const record of records) if (record.description !== null) return record.description;
  return null;
}

/** Related records are read only for findings that lack a vector or a description of their own. */
function needsRelated(assessed: Assessed): boolean {
  return assessed.ownCvss === null || firstDescription(assessed.own) === null;
}

/** The records, other than a finding's own, that go by its name: the CVE record, a GitHub advisory aliasing it… */
async function relatedRecords(assessed: readonly Assessed[], advisories: AdvisoryLookup): Promise<Map<string, AdvisorySummary[]>> {
  const related = new Map<string, AdvisorySummary[]>();
  const names = [...new Set(assessed.filter(needsRelated).map((item) => item.group.name))];
  if (names.length === 0) return related;
  const named = await advisories.advisoriesNamed(names);
  const known = new Map<string, AdvisorySummary>();
  for (const item of assessed) for (const record of item.own) known.set(record.id, record);
  const missing = [...new Set(named.map((pair) => pair.advisoryId).filter((id) => !known.has(id)))];
  for (const record of missing.length > 0 ? await advisories.advisories(missing) : []) known.set(record.id, record);
  for (const { name, advisoryId } of named) {
    const record = known.get(advisoryId);
    if (!record) continue;
    const list = related.get(name);
    if (list) list.push(record);
    else related.set(name, [record]);
  }
  return related;
}

function firstStated(records: readonly AdvisorySummary[]): Severity | null {
  for (const record of records) {
    const stated = statedSeverity(record.databaseSeverity, record.severity);
    if (stated) return stated;
  }
  return null;
}

/** CVSS of the matched records, then their stated severity, then the same from related records; never a guess. */
function rate(assessed: Assessed, related: readonly AdvisorySummary[]): { severity: Severity; cvss: CvssScore | null } {
  const { ownCvss } = assessed;
  if (ownCvss) return { severity: cvssSeverity(ownCvss), cvss: ownCvss };
  const relatedCvss = bestCvss(severitiesOf(related));
  const ownStated = statedSeverity(null, assessed.entries) ?? firstStated(assessed.own);
  if (ownStated) return { severity: ownStated, cvss: relatedCvss };
  if (relatedCvss) return { severity: cvssSeverity(relatedCvss), cvss: relatedCvss };
  return { severity: firstStated(related) ?? 'UNDEFINED', cvss: null };
}

/** Keeps an alias unless it is, or wraps, another CVE than the finding's. */
function addAlias(aliases: Set<string>, id: string, name: string): void {
  const about = isCveId(id) ? id : embeddedCve(id);
  if (about === null || about === name) aliases.add(id);
}

/** Other ids of the same vulnerability: the records' own ids and those of their aliases that are not other CVEs. */
function aliasesOf(name: string, own: readonly AdvisorySummary[]): string[] {
  const aliases = new Set<string>();
  for (const record of own) {
    aliases.add(record.id);
    for (const id of record.aliases) addAlias(aliases, id, name);
    for (const id of record.upstream) addAlias(aliases, id, name);
  }
  aliases.delete(name);
  return [...aliases].sort(byText);
}

function fixedVersionOf(group: Group): string | null {
  // Every record's fix must be installed to be clear of all of them: the highest one.
  let highest: string | null = null;
  for (const fix of group.fixes) {
    if (fix === null) continue;
    if (highest === null || (group.subject.comparator && group.subject.comparator.compare(fix, highest) > 0)) highest = fix;
  }
  return highest;
}

function othersThan(records: readonly AdvisorySummary[], own: readonly AdvisorySummary[]): AdvisorySummary[] {
  const others: AdvisorySummary[] = [];
  outer: for (const record of records) {
    for (const mine of own) if (mine.id === record.id) continue outer;
    others.push(record);
  }
  return others;
}

function uriOf(own: readonly AdvisorySummary[]): string {
  for (const record of own) if (record.uri !== null) return record.uri;
  return `https://osv.dev/vulnerability/${encodeURIComponent((own[0] as AdvisorySummary).id)}`;
}

/** The findings of one group: one per installed package built from the subject. */
function toFindings(assessed: Assessed, relatedByName: Map<string, AdvisorySummary[]>): Finding[] {
  const { group, own } = assessed;
  const related = othersThan(relatedByName.get(group.name) ?? [], own);
  const rating = rate(assessed, related);
  const cvss = toFindingCvss(rating.cvss);
  const aliases = aliasesOf(group.name, own);
  const fixedVersion = fixedVersionOf(group);
  const uri = uriOf(own);
  const description = firstDescription(own) ?? firstDescription(related);
  const findings: Finding[] = [];
  for (const pkg of group.subject.packages) {
    findings.push({
      name: group.name,
      severity: rating.severity,
      package: pkg.name,
      version: pkg.version,
      fixedVersion,
      uri,
      description,
      // Each finding gets its own copies: they travel on separately.
      cvss: cvss === null ? null : { score: cvss.score, vector: cvss.vector },
      aliases: aliases.slice(),
      path: pkg.path,
    });
  }
  return findings;
}

/** One finding per vulnerability per package name: a package installed twice is reported once. */
function uniqueFindings(findings: Finding[]): Finding[] {
  findings.sort((a, b) => byText(a.package ?? '', b.package ?? '') || byText(a.name, b.name));
  return findings.filter((finding, i) => {
    const previous = findings[i - 1];
    return previous === undefined || previous.package !== finding.package || previous.name !== finding.name;
  });
}

export async function matchInventory(inventory: Inventory, advisories: AdvisoryLookup): Promise<Finding[]> {
  const index = indexSubjects(inventory);
  const matches = await findMatches(advisories.affectedEntries(index.keys), index.byKey, advisories);
  const assessed: Assessed[] = [];
  for (const group of groupMatches(matches)) assessed.push(assess(group));
  if (assessed.length === 0) return [];
  const related = await relatedRecords(assessed, advisories);
  const findings: Finding[] = [];
  for (const item of assessed) findings.push(...toFindings(item, related));
  return uniqueFindings(findings);
}
