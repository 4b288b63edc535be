import type { InstalledPackage, Inventory } from '../inventory.js';
import { comparatorFor, ecosystemBase } from '../versioning/registry.js';
import type { VersionComparator } from '../versioning/version-comparator.js';
import { type AdvisorySummary, cveIdsOf } from './advisory.js';
import { type AdvisoryLookup, type AffectedRow, type PackageKey, packageKey } from './advisory-lookup.js';
import { firstFixAbove, isAffected } from './affected-versions.js';

/**
 * The first half of matching: which advisories affect which installed packages, grouped
 * by vulnerability. Packages are matched by the name and version their ecosystem's
 * advisories use (the source package for Debian, Ubuntu and Alpine); binaries built from
 * one source are evaluated once.
 */

// The OSV schema (ecosystems.json) names source packages in these ecosystems' records, not binaries.
const SOURCE_NAMED_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine', 'Alpaquita', 'Azure Linux', 'openEuler', 'SUSE', 'openSUSE', 'Mageia']);

/**
 * What advisories are matched against: a (source) package name and version in one
 * ecosystem, with the installed packages built from it. Binaries of one source are
 * evaluated once and reported each.
 */
export interface Subject {
  ecosystem: string;
  name: string;
  version: string;
  comparator: VersionComparator | null;
  packages: InstalledPackage[];
}

export interface Match {
  subject: Subject;
  record: AdvisorySummary;
  rows: AffectedRow[];
}

export interface Group {
  name: string;
  subject: Subject;
  /** The matched records (usually one or two) and, at the same index, the lowest fix above the installed version. */
  records: AdvisorySummary[];
  fixes: (string | null)[];
  rows: AffectedRow[];
}

/** The name and version the ecosystem's advisories speak of: the source package where records name sources. */
function advisoryNameOf(pkg: InstalledPackage): { name: string; version: string } {
  return SOURCE_NAMED_ECOSYSTEMS.has(ecosystemBase(pkg.ecosystem))
    ? { name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version }
    : { name: pkg.name, version: pkg.version };
}

/** Ecosystem (with release) → the names its advisories use for the inventory's packages: what the package index records. */
export function advisoryNamesOf(inventory: Inventory): Map<string, Set<string>> {
  const byEcosystem = new Map<string, Set<string>>();
  for (const pkg of inventory.packages) {
    const names = byEcosystem.get(pkg.ecosystem);
    if (names) names.add(advisoryNameOf(pkg).name);
    else byEcosystem.set(pkg.ecosystem, new Set([advisoryNameOf(pkg).name]));
  }
  return byEcosystem;
}

export interface SubjectIndex {
  byKey: Map<string, Subject[]>;
  keys: PackageKey[];
}

/** Keys under which records can name a subject: its ecosystem with release, and without (records valid for every release). */
export function indexSubjects(inventory: Inventory): SubjectIndex {
  const subjects = new Map<string, Subject>();
  for (const pkg of inventory.packages) {
    const { name, version } = advisoryNameOf(pkg);
    const id = `${pkg.ecosystem}\u0000${name}\u0000${version}`;
    const subject = subjects.get(id);
    if (subject) subject.packages.push(pkg);
    else subjects.set(id, { ecosystem: pkg.ecosystem, name, version, comparator: comparatorFor(pkg.ecosystem), packages: [pkg] });
  }
  const byKey = new Map<string, Subject[]>();
  const keys: PackageKey[] = [];
  const add = (ecosystem: string, subject: Subject): void => {
    const id = packageKey(ecosystem, subject.name);
    const listed = byKey.get(id);
    if (listed) listed.push(subject);
    else {
      byKey.set(id, [subject]);
      keys.push({ ecosystem, name: subject.name });
    }
  };
  for (const subject of subjects.values()) {
    add(subject.ecosystem, subject);
    const base = ecosystemBase(subject.ecosystem);
    if (base !== subject.ecosystem) add(base, subject);
  }
  return { byKey, keys };
}

interface Candidate {
  subject: Subject;
  rows: AffectedRow[];
}

/** Evaluates candidate entries batch by batch, keeping only those that affect an installed package. */
async function findAffected(batches: AsyncIterable<AffectedRow[]>, byKey: Map<string, Subject[]>): Promise<Map<Subject, Map<string, Candidate>>> {
  const bySubject = new Map<Subject, Map<string, Candidate>>();
  for await (const rows of batches) {
    for (const row of rows) {
      for (const subject of byKey.get(packageKey(row.ecosystem, row.package)) ?? []) {
        if (!isAffected(subject.version, row, subject.comparator)) continue;
        let candidates = bySubject.get(subject);
        if (!candidates) bySubject.set(subject, (candidates = new Map()));
        const candidate = candidates.get(row.advisoryId);
        if (candidate) candidate.rows.push(row);
        else candidates.set(row.advisoryId, { subject, rows: [row] });
      }
    }
  }
  return bySubject;
}

/** Joins the affected entries with their records' summaries, read once for every record that matched. */
export async function findMatches(batches: AsyncIterable<AffectedRow[]>, byKey: Map<string, Subject[]>, advisories: AdvisoryLookup): Promise<Match[]> {
  const affected = await findAffected(batches, byKey);
  const ids = new Set<string>();
  for (const candidates of affected.values()) for (const id of candidates.keys()) ids.add(id);
  if (ids.size === 0) return [];
  const summaries = new Map<string, AdvisorySummary>();
  for (const summary of await advisories.advisories([...ids])) summaries.set(summary.id, summary);
  const matches: Match[] = [];
  for (const candidates of affected.values()) {
    for (const [id, candidate] of candidates) {
      // A record withdrawn since its entries were read has no summary and no longer counts.
      const record = summaries.get(id);
      if (record) matches.push({ subject: candidate.subject, record, rows: candidate.rows });
    }
  }
  return matches;
}

/** The vulnerabilities a matched record stands for here: the entry's own CVE list (Ubuntu), the record's CVEs, or itself. */
function vulnerabilityNames(match: Match): string[] {
  const perEntry = new Set<string>();
  for (const row of match.rows) for (const cve of row.cves) perEntry.add(cve.id);
  if (perEntry.size > 0) return [...perEntry];
  const cves = cveIdsOf(match.record);
  return cves.length > 0 ? cves : [match.record.id];
}

function lowestFix(subject: Subject, rows: readonly AffectedRow[]): string | null {
  let lowest: string | null = null;
  for (const row of rows) {
    const fix = firstFixAbove(subject.version, row, subject.comparator);
    if (fix !== null && (lowest === null || (subject.comparator && subject.comparator.compare(fix, lowest) < 0))) lowest = fix;
  }
  return lowest;
}

export function groupMatches(matches: readonly Match[]): Group[] {
  const groups = new Map<Subject, Map<string, Group>>();
  for (const match of matches) {
    const fix = lowestFix(match.subject, match.rows);
    let bySubject = groups.get(match.subject);
    if (!bySubject) groups.set(match.subject, (bySubject = new Map()));
    for (const name of vulnerabilityNames(match)) {
      let group = bySubject.get(name);
      if (!group) bySubject.set(name, (group = { name, subject: match.subject, records: [], fixes: [], rows: [] }));
      group.records.push(match.record);
      group.fixes.push(fix);
      group.rows.push(...match.rows);
    }
  }
  return [...groups.values()].flatMap((bySubject) => [...bySubject.values()]);
}
