import type { Finding } from '../../../domain/finding.js';
import type { Severity } from '../../../domain/severity.js';
import type { InstalledPackage, Inventory } from '../inventory.js';
import { comparatorFor, ecosystemBase } from '../versioning/registry.js';
import type { VersionComparator } from '../versioning/version-comparator.js';
import { type AdvisoryDetails, cveIdsOf, embeddedCve, isCveId } from './advisory.js';
import { type AdvisoryLookup, type AffectedRow, type PackageKey, packageKey } from './advisory-lookup.js';
import { firstFixAbove, isAffected } from './affected-versions.js';
import type { OsvSeverity } from './osv-record.js';
import { bestCvss, type CvssScore, cvssSeverity, statedSeverity, toFindingCvss } from './severity.js';

/**
 * Matches an image's packages against OSV advisories: one finding per vulnerability
 * (its CVE when there is one) per package, however many records (DSA, DLA, the
 * distribution's CVE record, a GitHub advisory…) say the package is affected.
 */

// The OSV schema names source packages in these ecosystems' records, not binaries.
const SOURCE_NAMED_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine']);

interface Subject {
  pkg: InstalledPackage;
  /** The name and version the ecosystem's advisories speak of. */
  name: string;
  version: string;
  comparator: VersionComparator | null;
}

interface Group {
  name: string;
  subject: Subject;
  records: Map<string, AdvisoryDetails>;
  rows: AffectedRow[];
  /** Per record, the lowest fix above the installed version (null: none known). */
  fixes: Map<string, string | null>;
}

function subjectOf(pkg: InstalledPackage): Subject {
  const comparator = comparatorFor(pkg.ecosystem);
  return SOURCE_NAMED_ECOSYSTEMS.has(ecosystemBase(pkg.ecosystem))
    ? { pkg, name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version, comparator }
    : { pkg, name: pkg.name, version: pkg.version, comparator };
}

/** Keys under which records can name a package: its ecosystem with release, and without (records valid for every release). */
function keysOf(subject: Subject): PackageKey[] {
  const base = ecosystemBase(subject.pkg.ecosystem);
  const keys = [{ ecosystem: subject.pkg.ecosystem, name: subject.name }];
  if (base !== subject.pkg.ecosystem) keys.push({ ecosystem: base, name: subject.name });
  return keys;
}

interface SubjectIndex {
  byKey: Map<string, Subject[]>;
  keys: PackageKey[];
}

function indexSubjects(inventory: Inventory): SubjectIndex {
  const byKey = new Map<string, Subject[]>();
  const keys: PackageKey[] = [];
  for (const pkg of inventory.packages) {
    const subject = subjectOf(pkg);
    for (const key of keysOf(subject)) {
      const id = packageKey(key.ecosystem, key.name);
      const subjects = byKey.get(id);
      if (subjects) subjects.push(subject);
      else {
        byKey.set(id, [subject]);
        keys.push(key);
      }
    }
  }
  return { byKey, keys };
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Match {
  subject: Subject;
  advisoryId: string;
  rows: AffectedRow[];
}

function findMatches(rows: readonly AffectedRow[], index: Map<string, Subject[]>): Match[] {
  const matches = new Map<string, Match>();
  const subjectIds = new Map<Subject, number>();
  for (const row of rows) {
    for (const subject of index.get(packageKey(row.ecosystem, row.package)) ?? []) {
      if (!isAffected(subject.version, row, subject.comparator)) continue;
      if (!subjectIds.has(subject)) subjectIds.set(subject, subjectIds.size);
      const key = `${subjectIds.get(subject)}\u0000${row.advisoryId}`;
      const match = matches.get(key) ?? { subject, advisoryId: row.advisoryId, rows: [] };
      match.rows.push(row);
      matches.set(key, match);
    }
  }
  return [...matches.values()];
}

/** The vulnerabilities a matched record stands for here: the entry's own CVE list (Ubuntu), the record's CVEs, or itself. */
function namesOf(record: AdvisoryDetails, rows: readonly AffectedRow[]): string[] {
  const perEntry = [...new Set(rows.flatMap((row) => row.cves.map((cve) => cve.id)))];
  if (perEntry.length > 0) return perEntry;
  const cves = cveIdsOf(record);
  return cves.length > 0 ? cves : [record.id];
}

function lowestFix(subject: Subject, rows: readonly AffectedRow[]): string | null {
  let lowest: string | null = null;
  for (const row of rows) {
    const fix = firstFixAbove(subject.version, row, subject.comparator);
    if (fix !== null && (lowest === null || (subject.comparator && subject.comparator.compare(fix, lowest) < 0))) lowest = fix;
  }
  return lowest;
}

function groupMatches(matches: readonly Match[], details: Map<string, AdvisoryDetails>): Group[] {
  const groups = new Map<string, Group>();
  for (const match of matches) {
    const record = details.get(match.advisoryId);
    if (!record) continue;
    const fix = lowestFix(match.subject, match.rows);
    for (const name of namesOf(record, match.rows)) {
      const key = `${match.subject.pkg.name}\u0000${name}`;
      const group: Group = groups.get(key) ?? { name, subject: match.subject, records: new Map(), rows: [], fixes: new Map() };
      group.records.set(record.id, record);
      group.rows.push(...match.rows);
      group.fixes.set(record.id, fix);
      groups.set(key, group);
    }
  }
  return [...groups.values()];
}

/** Records by every vulnerability name they speak of: their id, their aliases and their CVEs. */
function indexByName(records: readonly AdvisoryDetails[]): Map<string, AdvisoryDetails[]> {
  const index = new Map<string, AdvisoryDetails[]>();
  for (const record of records) {
    for (const name of new Set([record.id, ...record.aliases, ...cveIdsOf(record)])) {
      const named = index.get(name);
      if (named) named.push(record);
      else index.set(name, [record]);
    }
  }
  return index;
}

/** How closely a record's id names the finding: the CVE itself, a distribution's copy of it, anything else. */
function closeness(record: AdvisoryDetails, name: string): number {
  if (record.id === name) return 0;
  return embeddedCve(record.id) === name ? 1 : 2;
}

/** The group's own records, the closest to the finding's name first, then by id. */
function ownRecords(group: Group): AdvisoryDetails[] {
  return [...group.records.values()].sort((a, b) => closeness(a, group.name) - closeness(b, group.name) || byText(a.id, b.id));
}

function entrySeverities(group: Group): OsvSeverity[] {
  return group.rows.flatMap((row) => [...row.severity, ...row.cves.filter((cve) => cve.id === group.name).flatMap((cve) => cve.severity)]);
}

interface Rating {
  severity: Severity;
  cvss: CvssScore | null;
}

/** CVSS of the matched records, then their stated severity, then the same from related records; never a guess. */
function rate(group: Group, own: readonly AdvisoryDetails[], linked: readonly AdvisoryDetails[]): Rating {
  const entries = entrySeverities(group);
  const ownCvss = bestCvss([...own.flatMap((record) => record.severity), ...entries]);
  const linkedCvss = bestCvss(linked.flatMap((record) => record.severity));
  const cvss = ownCvss ?? linkedCvss;
  if (ownCvss) return { severity: cvssSeverity(ownCvss), cvss };
  const ownStated = statedSeverity(null, entries) ?? firstStated(own);
  if (ownStated) return { severity: ownStated, cvss };
  if (linkedCvss) return { severity: cvssSeverity(linkedCvss), cvss };
  return { severity: firstStated(linked) ?? 'UNDEFINED', cvss };
}

function firstStated(records: readonly AdvisoryDetails[]): Severity | null {
  for (const record of records) {
    const stated = statedSeverity(record.databaseSeverity, record.severity);
    if (stated) return stated;
  }
  return null;
}

const WEB_URL = /^https?:\/\/\S+$/;

function uriOf(own: readonly AdvisoryDetails[]): string | null {
  for (const type of ['ADVISORY', 'WEB']) {
    for (const record of own) {
      const reference = record.references.find((ref) => ref.type === type && WEB_URL.test(ref.url));
      if (reference) return reference.url;
    }
  }
  const primary = own[0];
  return primary ? `https://osv.dev/vulnerability/${encodeURIComponent(primary.id)}` : null;
}

function descriptionOf(records: readonly AdvisoryDetails[]): string | null {
  for (const record of records) {
    const text = record.summary?.trim() || record.details?.trim();
    if (text) return text;
  }
  return null;
}

/** Other ids of the same vulnerability: the records' own ids and the aliases that are not other CVEs. */
function aliasesOf(name: string, own: readonly AdvisoryDetails[]): string[] {
  const aliases = new Set<string>();
  for (const record of own) {
    aliases.add(record.id);
    for (const id of [...record.aliases, ...record.upstream]) {
      const about = isCveId(id) ? id : embeddedCve(id);
      if (about === null || about === name) aliases.add(id);
    }
  }
  aliases.delete(name);
  return [...aliases].sort();
}

function fixedVersionOf(group: Group): string | null {
  // Every record's fix must be installed to be clear of all of them: the highest one.
  let highest: string | null = null;
  for (const fix of group.fixes.values()) {
    if (fix === null) continue;
    if (highest === null || (group.subject.comparator && group.subject.comparator.compare(fix, highest) > 0)) highest = fix;
  }
  return highest;
}

function toFinding(group: Group, linkedByName: Map<string, AdvisoryDetails[]>): Finding {
  const own = ownRecords(group);
  const linked = (linkedByName.get(group.name) ?? []).filter((record) => !group.records.has(record.id));
  const rating = rate(group, own, linked);
  return {
    name: group.name,
    severity: rating.severity,
    package: group.subject.pkg.name,
    version: group.subject.pkg.version,
    fixedVersion: fixedVersionOf(group),
    uri: uriOf(own),
    description: descriptionOf([...own, ...linked]),
    cvss: toFindingCvss(rating.cvss),
    aliases: aliasesOf(group.name, own),
  };
}

export async function matchInventory(inventory: Inventory, advisories: AdvisoryLookup): Promise<Finding[]> {
  const index = indexSubjects(inventory);
  const rows = await advisories.affectedEntries(index.keys);
  const matches = findMatches(rows, index.byKey);
  if (matches.length === 0) return [];
  const details = new Map((await advisories.advisories([...new Set(matches.map((match) => match.advisoryId))])).map((record) => [record.id, record]));
  const groups = groupMatches(matches, details);
  const linked = indexByName(await advisories.advisoriesNaming([...new Set(groups.map((group) => group.name))]));
  return groups
    .map((group) => toFinding(group, linked))
    .sort((a, b) => byText(a.package ?? '', b.package ?? '') || byText(a.name, b.name));
}
