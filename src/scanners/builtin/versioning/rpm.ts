import type { VersionComparator } from './version-comparator.js';

/**
 * RPM version ordering, as rpm's `lib/rpmvercmp.c` and `lib/rpmver.c` implement it.
 * A version string is cut into alphanumeric segments (runs of digits or of ASCII
 * letters; anything else only separates them). Numeric segments compare as numbers and
 * beat alphabetic ones; `~` sorts before everything, even the end of the string
 * (`1.0~rc1` < `1.0`); `^` sorts after the end of the string but before anything else
 * (`1.0` < `1.0^git1` < `1.0.1`).
 */

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isAlpha(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

const TILDE = 0x7e;
const CARET = 0x5e;
/** Past the end of a string: C's terminating NUL. */
const END = -1;

/** rpm's `rpmvercmp`: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (text: string, index: number): number => (index < text.length ? text.charCodeAt(index) : END);
  while (i < a.length || j < b.length) {
    while (i < a.length && !isSegmentStart(a.charCodeAt(i))) i++;
    while (j < b.length && !isSegmentStart(b.charCodeAt(j))) j++;
    const x = at(a, i);
    const y = at(b, j);

    if (x === TILDE || y === TILDE) {
      if (x !== TILDE) return 1;
      if (y !== TILDE) return -1;
      i++;
      j++;
      continue;
    }

    // Like the tilde, except that the string that has ended (the base version) is the lower.
    if (x === CARET || y === CARET) {
      if (x === END) return -1;
      if (y === END) return 1;
      if (x !== CARET) return 1;
      if (y !== CARET) return -1;
      i++;
      j++;
      continue;
    }

    if (x === END || y === END) break;

    const numeric = isDigit(x);
    const matches = numeric ? isDigit : isAlpha;
    let endA = i;
    while (endA < a.length && matches(a.charCodeAt(endA))) endA++;
    let endB = j;
    while (endB < b.length && matches(b.charCodeAt(endB))) endB++;

    // A numeric segment against an alphabetic one: the numeric one is the newer.
    if (endB === j) return numeric ? 1 : -1;

    const result = numeric ? compareDigits(a.slice(i, endA), b.slice(j, endB)) : compareBytes(a.slice(i, endA), b.slice(j, endB));
    if (result !== 0) return result;
    i = endA;
    j = endB;
  }
  if (i >= a.length && j >= b.length) return 0;
  // Whichever still has characters left wins.
  return i >= a.length ? -1 : 1;
}

function isSegmentStart(code: number): boolean {
  return isDigit(code) || isAlpha(code) || code === TILDE || code === CARET;
}

/** Numbers of any length: leading zeros dropped, then the longer wins, then the digits. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareBytes(x, y);
}

/** C's strcmp on ASCII segments. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Evr {
  /** Null when the string names none; it then compares as 0. */
  epoch: string | null;
  version: string;
  /** Null when the string has no `-`. */
  release: string | null;
}

/**
 * rpm's `parseEVR`: the epoch is the digits before a `:` (an empty one is 0), the release
 * whatever follows the last `-`.
 */
export function parseEvr(evr: string): Evr {
  let digits = 0;
  while (digits < evr.length && isDigit(evr.charCodeAt(digits))) digits++;
  const hasEpoch = evr[digits] === ':';
  const epoch = hasEpoch ? evr.slice(0, digits) || '0' : null;
  const rest = hasEpoch ? evr.slice(digits + 1) : evr;
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? { epoch, version: rest, release: null } : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/**
 * `[epoch:]version[-release]` ordering: epochs (a missing one is 0), then versions, then
 * releases. rpm's dependency matching ignores the release when one side has none; a
 * total order cannot, so a missing release sorts before any release, an empty one
 * included (`1` < `1-`), as rpm's `rpmverCmp` orders a NULL release below a present one.
 * Advisory versions always carry one.
 */
export function compareRpmVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseEvr(a);
  const y = parseEvr(b);
  return rpmvercmp(x.epoch ?? '0', y.epoch ?? '0') || rpmvercmp(x.version, y.version) || compareReleases(x.release, y.release);
}

function compareReleases(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return rpmvercmp(a, b);
}

// What rpmbuild accepts in Version and Release: no `-`, no whitespace, nothing outside this set.
const RPM_VERSION = /^(?:\d+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?$/;

export function isValidRpmVersion(version: string): boolean {
  return version.length <= 256 && RPM_VERSION.test(version) && /[A-Za-z0-9]/.test(parseEvr(version).version);
}

export const rpmComparator: VersionComparator = {
  ecosystem: 'Red Hat',
  compare: compareRpmVersions,
  isValid: isValidRpmVersion,
};
