import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { type OsvEvent, type OsvRecord, type OsvReference, OsvSeverity, parseOsvTime } from './osv-record.js';
import { normalisePythonName } from '../analysers/python/core-metadata.js';

/**
 * The parts of an OSV record that matching and reporting use, in the shape the store
 * keeps: one affected entry per (ecosystem, package), ranges that can be ordered only.
 */

export interface VersionRange {
  /** `ECOSYSTEM` or `SEMVER`; `GIT` ranges need a repository and are not kept. */
  type: string;
  events: OsvEvent[];
}

/** Severity that a record gives one of its upstream CVEs (Ubuntu's `database_specific.cves_map`). */
export interface CveSeverity {
  id: string;
  severity: OsvSeverity[];
}

export interface AffectedSpec {
  ranges: VersionRange[];
  versions: string[];
  severity: OsvSeverity[];
  /** The CVEs this entry addresses, when the record says so per entry; empty otherwise. */
  cves: CveSeverity[];
}

export interface AdvisoryAffected extends AffectedSpec {
  /** As the record writes it: `Debian:12`, `Alpine:v3.19`, `npm`. */
  ecosystem: string;
  package: string;
}

/** What a finding shows of one record, computed once at import. */
export interface AdvisorySummary {
  id: string;
  aliases: string[];
  upstream: string[];
  severity: OsvSeverity[];
  /** `database_specific.severity` as the database wrote it (GitHub: LOW, MODERATE, HIGH, CRITICAL). */
  databaseSeverity: string | null;
  /** The summary, else the details. */
  description: string | null;
  /** The first ADVISORY reference, else the first WEB one (http and https only). */
  uri: string | null;
}

export interface Advisory {
  id: string;
  /** Unix milliseconds. */
  modified: number;
  published: number | null;
  withdrawn: number | null;
  aliases: string[];
  upstream: string[];
  summary: string | null;
  details: string | null;
  severity: OsvSeverity[];
  databaseSeverity: string | null;
  references: OsvReference[];
  affected: AdvisoryAffected[];
}

const ORDERED_RANGE_TYPES = new Set(['ECOSYSTEM', 'SEMVER']);

const UbuntuCvesMap = Compile(
  Type.Object({
    cves_map: Type.Object({
      cves: Type.Array(Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }), severity: Type.Optional(Type.Array(OsvSeverity)) })),
    }),
  }),
);

function entryCves(databaseSpecific: unknown): CveSeverity[] {
  if (!UbuntuCvesMap.Check(databaseSpecific)) return [];
  return databaseSpecific.cves_map.cves.map((cve) => ({ id: cve.id, severity: cve.severity ?? [] }));
}

function stringField(value: unknown, field: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const found: unknown = (value as Record<string, unknown>)[field];
  return typeof found === 'string' && found.length > 0 ? found : null;
}

/**
 * The name installed packages are reported under. PyPI records spell projects as their
 * authors do (`PyYAML`) while installed metadata is compared PEP 503-normalised (`pyyaml`).
 */
function packageKey(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? normalisePythonName(name) : name;
}

/** Reduces a validated record to what is stored. */
export function toAdvisory(record: OsvRecord): Advisory {
  const affected: AdvisoryAffected[] = [];
  for (const entry of record.affected ?? []) {
    if (!entry.package) continue;
    affected.push({
      ecosystem: entry.package.ecosystem,
      package: packageKey(entry.package.ecosystem, entry.package.name),
      ranges: (entry.ranges ?? []).filter((range) => ORDERED_RANGE_TYPES.has(range.type)).map((range) => ({ type: range.type, events: range.events })),
      versions: entry.versions ?? [],
      severity: entry.severity ?? [],
      cves: entryCves(entry.database_specific),
    });
  }
  return {
    id: record.id,
    modified: parseOsvTime(record.modified) ?? 0,
    published: record.published === undefined ? null : parseOsvTime(record.published),
    withdrawn: record.withdrawn === undefined ? null : parseOsvTime(record.withdrawn),
    aliases: record.aliases ?? [],
    upstream: record.upstream ?? [],
    summary: record.summary ?? null,
    details: record.details ?? null,
    severity: record.severity ?? [],
    databaseSeverity: stringField(record.database_specific, 'severity'),
    references: record.references ?? [],
    affected,
  };
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const EMBEDDED_CVE = /^[A-Z][A-Z0-9]*-(CVE-\d{4}-\d{4,})$/;

export function isCveId(id: string): boolean {
  return CVE_ID.test(id);
}

/** `DEBIAN-CVE-2024-1234`, `UBUNTU-CVE-…`, `ALPINE-CVE-…` are one distribution's view of that CVE. */
export function embeddedCve(id: string): string | null {
  return EMBEDDED_CVE.exec(id)?.[1] ?? null;
}

/**
 * The CVEs a record is about: itself when its id is one (or wraps one), otherwise the CVEs
 * among its aliases and upstream ids. A DSA that fixes three CVEs is about all three.
 */
export function cveIdsOf(advisory: Pick<AdvisorySummary, 'id' | 'aliases' | 'upstream'>): string[] {
  if (isCveId(advisory.id)) return [advisory.id];
  const wrapped = embeddedCve(advisory.id);
  if (wrapped) return [wrapped];
  return [...new Set([...advisory.aliases, ...advisory.upstream].filter(isCveId))];
}

/** Every id under which the record can be looked up: its own, its aliases and upstream ids, and the CVE it wraps. */
export function namesOf(advisory: Pick<Advisory, 'id' | 'aliases' | 'upstream'>): string[] {
  const wrapped = embeddedCve(advisory.id);
  return [...new Set([advisory.id, ...advisory.aliases, ...advisory.upstream, ...(wrapped ? [wrapped] : [])])];
}

const WEB_URL = /^https?:\/\/\S+$/;

function preferredUri(references: readonly OsvReference[]): string | null {
  for (const type of ['ADVISORY', 'WEB']) {
    const reference = references.find((ref) => ref.type === type && WEB_URL.test(ref.url));
    if (reference) return reference.url;
  }
  return null;
}

export function summaryOf(advisory: Advisory): AdvisorySummary {
  return {
    id: advisory.id,
    aliases: advisory.aliases,
    upstream: advisory.upstream,
    severity: advisory.severity,
    databaseSeverity: advisory.databaseSeverity,
    description: advisory.summary?.trim() || advisory.details?.trim() || null,
    uri: preferredUri(advisory.references),
  };
}
