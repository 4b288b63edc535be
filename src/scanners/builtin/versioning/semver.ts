import type { VersionComparator } from './version-comparator.js';

/**
 * Semantic Versioning 2.0.0 precedence (semver.org §11), the ordering of npm and of OSV's
 * `SEMVER` ranges: major, minor and patch numerically; a version with a pre-release below
 * the same version without; pre-release identifiers one by one (numeric ones numerically
 * and below alphanumeric ones, which compare in ASCII order; more identifiers win when all
 * before are equal); build metadata ignored. As node-semver (npm's own), a leading `v`
 * and surrounding whitespace are accepted.
 */

export interface SemVer {
  /** Digit strings: any size, no leading zeros. */
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
  build: string[];
}

// node-semver's MAX_LENGTH: longer strings are not versions.
const MAX_LENGTH = 256;
const NUMBER = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(
  `^v?(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

export function parseSemVer(version: string): SemVer | null {
  if (version.length > MAX_LENGTH) return null;
  const match = SEMVER.exec(version.trim());
  if (!match) return null;
  return {
    major: match[1] ?? '0',
    minor: match[2] ?? '0',
    patch: match[3] ?? '0',
    prerelease: match[4] === undefined ? [] : match[4].split('.'),
    build: match[5] === undefined ? [] : match[5].split('.'),
  };
}

function isNumeric(identifier: string): boolean {
  return /^\d+$/.test(identifier);
}

/** Digit strings without leading zeros: the longer is the larger. */
function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): number {
  const numericA = isNumeric(a);
  const numericB = isNumeric(b);
  if (numericA && numericB) return compareNumbers(a, b);
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrereleases(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const result = compareIdentifiers(a[i] as string, b[i] as string);
    if (result !== 0) return result;
  }
  return Math.sign(a.length - b.length);
}

export function compareParsedSemVer(a: SemVer, b: SemVer): number {
  return compareNumbers(a.major, b.major) || compareNumbers(a.minor, b.minor) || compareNumbers(a.patch, b.patch) || comparePrereleases(a.prerelease, b.prerelease);
}

/**
 * Total on any input, as the comparator contract asks: strings that are not versions sort
 * before every version and among themselves as strings. No advisory range is ever decided
 * by that order, only kept consistent.
 */
export function compareSemVer(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (x && y) return compareParsedSemVer(x, y);
  if (x || y) return x ? 1 : -1;
  return a < b ? -1 : 1;
}

export function isValidSemVer(version: string): boolean {
  return parseSemVer(version) !== null;
}

export const semverComparator: VersionComparator = {
  ecosystem: 'npm',
  compare: compareSemVer,
  isValid: isValidSemVer,
};
