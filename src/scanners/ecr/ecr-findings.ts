import type { Attribute, CvssScore, EnhancedImageScanFinding, ImageScanFinding, VulnerablePackage } from '@aws-sdk/client-ecr';
import type { Cvss, Finding } from '../../domain/finding.js';
import { normaliseSeverity } from '../../domain/severity.js';

/*
 * ECR answers in two shapes: basic scanning's `findings` (name, severity, uri and
 * key/value attributes) and enhanced scanning's `enhancedFindings` (Amazon Inspector's
 * package-vulnerability records). Both arrive from another host, so every member is
 * checked here and anything unusable is dropped rather than stored.
 */

const MAX_NAME = 256;
const MAX_TEXT = 8 * 1024;
const MAX_ALIASES = 50;

/** A basic-scanning finding; null when it has no usable name. */
export function normaliseBasicFinding(raw: ImageScanFinding): Finding | null {
  const name = cleanText(raw.name, MAX_NAME);
  if (!name) return null;
  const attributes = attributeMap(raw.attributes);
  return {
    name,
    severity: normaliseSeverity(raw.severity),
    package: attributes.get('package_name') ?? null,
    version: attributes.get('package_version') ?? null,
    // Basic scanning does not report a fixed version.
    fixedVersion: null,
    uri: httpUrl(raw.uri),
    description: cleanText(raw.description, MAX_TEXT),
    cvss: basicCvss(attributes),
    path: null,
    aliases: [],
  };
}

function attributeMap(attributes: Attribute[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const attribute of attributes ?? []) {
    const value = cleanText(attribute.value, MAX_NAME);
    if (typeof attribute.key === 'string' && value) map.set(attribute.key, value);
  }
  return map;
}

/** CVSS v3 when ECR gives it, else v2. */
function basicCvss(attributes: Map<string, string>): Cvss | null {
  for (const version of ['CVSS3', 'CVSS2']) {
    const score = parseScore(attributes.get(`${version}_SCORE`));
    const vector = attributes.get(`${version}_VECTOR`) ?? null;
    if (score !== null || vector !== null) return { score, vector };
  }
  return null;
}

/**
 * An enhanced (Inspector) finding: one Finding per vulnerable package, since one
 * Inspector record may name several packages of the image.
 */
export function normaliseEnhancedFinding(raw: EnhancedImageScanFinding): Finding[] {
  const details = raw.packageVulnerabilityDetails;
  const name = cleanText(details?.vulnerabilityId, MAX_NAME) ?? cleanText(raw.title, MAX_NAME);
  if (!name) return [];
  const shared = {
    name,
    severity: normaliseSeverity(raw.severity),
    uri: httpUrl(details?.sourceUrl) ?? firstHttpUrl(details?.referenceUrls) ?? httpUrl(raw.remediation?.recommendation?.url),
    description: cleanText(raw.description, MAX_TEXT),
    cvss: enhancedCvss(raw),
    aliases: aliasesOf(details?.relatedVulnerabilities, name),
    path: null,
  };
  const packages = details?.vulnerablePackages ?? [];
  if (packages.length === 0) return [{ ...shared, package: null, version: null, fixedVersion: null }];
  return packages.map((pkg) => ({
    ...shared,
    package: cleanText(pkg.name, MAX_NAME),
    version: fullVersion(pkg),
    fixedVersion: fixedVersionOf(pkg.fixedInVersion),
  }));
}

/** Inspector splits a package version into epoch, version and release; users know them joined. */
function fullVersion(pkg: VulnerablePackage): string | null {
  const version = cleanText(pkg.version, MAX_NAME);
  if (!version) return null;
  const epoch = typeof pkg.epoch === 'number' && pkg.epoch > 0 ? `${pkg.epoch}:` : '';
  const release = cleanText(pkg.release, MAX_NAME);
  return `${epoch}${version}${release ? `-${release}` : ''}`;
}

/** Inspector writes "NotAvailable" when no fix exists. */
function fixedVersionOf(value: string | undefined): string | null {
  const fixed = cleanText(value, MAX_NAME);
  return fixed && fixed !== 'NotAvailable' ? fixed : null;
}

/** The newest CVSS version Inspector lists, preferring the advisory's own source on a tie. */
function enhancedCvss(raw: EnhancedImageScanFinding): Cvss | null {
  const details = raw.packageVulnerabilityDetails;
  let best: { score: CvssScore; version: number } | null = null;
  for (const score of details?.cvss ?? []) {
    const version = Number.parseFloat(score.version ?? '');
    if (parseScore(score.baseScore) === null || !Number.isFinite(version)) continue;
    const better = !best || version > best.version || (version === best.version && score.source === details?.source);
    if (better) best = { score, version };
  }
  if (best) return { score: parseScore(best.score.baseScore), vector: cleanText(best.score.scoringVector, MAX_NAME) };
  const detail = raw.scoreDetails?.cvss;
  if (detail && parseScore(detail.score) !== null) {
    return { score: parseScore(detail.score), vector: cleanText(detail.scoringVector, MAX_NAME) };
  }
  const score = parseScore(raw.score);
  return score === null ? null : { score, vector: null };
}

function aliasesOf(related: string[] | undefined, name: string): string[] {
  const aliases = new Set<string>();
  for (const id of related ?? []) {
    const alias = cleanText(id, MAX_NAME);
    if (alias && alias !== name) aliases.add(alias);
  }
  return [...aliases].slice(0, MAX_ALIASES);
}

function parseScore(value: unknown): number | null {
  const score = typeof value === 'string' ? Number(value) : value;
  return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 10 ? score : null;
}

function cleanText(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Only http(s) links: the URI ends up as a link in feeds that readers open. */
function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  try {
    const text = value.trim();
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? text : null;
  } catch {
    return null;
  }
}

function firstHttpUrl(values: string[] | undefined): string | null {
  for (const value of values ?? []) {
    const url = httpUrl(value);
    if (url) return url;
  }
  return null;
}
