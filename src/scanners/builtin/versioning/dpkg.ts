import type { VersionComparator } from './version-comparator.js';

/**
 * Debian version ordering (Debian Policy §5.6.12, dpkg's `lib/dpkg/version.c`):
 * `[epoch:]upstream[-revision]`, epochs compared as integers, then upstream and revision
 * each by alternating non-digit runs (letters before other characters, `~` before
 * everything, even the end of the string) and digit runs (as integers).
 */

// dpkg stores the epoch in an int and refuses anything larger.
const MAX_EPOCH = 2147483647;
const TILDE = 0x7e;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** dpkg's `order()`: digits and the end weigh 0, letters their code, `~` below all, the rest after letters. */
function order(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === TILDE) return -1;
  return code + 256;
}

/**
 * dpkg's `verrevcmp()` over `a[i, iEnd)` and `b[j, jEnd)`: string indices rather than
 * slices, so that comparing allocates nothing (matching compares thousands of versions).
 */
function compareFragment(a: string, i: number, iEnd: number, b: string, j: number, jEnd: number): number {
  // Past the end a code reads as NaN, which is neither a digit nor a letter and orders as 0, like dpkg's NUL.
  while (i < iEnd || j < jEnd) {
    let firstDiff = 0;
    while ((i < iEnd && !isDigit(a.charCodeAt(i))) || (j < jEnd && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < iEnd ? a.charCodeAt(i) : Number.NaN);
      const bc = order(j < jEnd ? b.charCodeAt(j) : Number.NaN);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < iEnd && a.charCodeAt(i) === 0x30) i++;
    while (j < jEnd && b.charCodeAt(j) === 0x30) j++;
    while (i < iEnd && j < jEnd && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < iEnd && isDigit(a.charCodeAt(i))) return 1;
    if (j < jEnd && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function allDigits(text: string, start = 0, end = text.length): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c;
}

// Where the parts of a version lie: epoch, upstream start and end, revision start, end.
// Written into preallocated arrays, as matching compares tens of thousands of versions
// and an object per comparison is measurable garbage. Comparison is synchronous, so the
// two scratch arrays are never shared by two comparisons at once.
const EPOCH = 0;
const UPSTREAM_START = 1;
const UPSTREAM_END = 2;
const REVISION_START = 3;
const END = 4;
const LEFT = new Float64Array(5);
const RIGHT = new Float64Array(5);

/** Splits as dpkg does: the epoch at the first colon, the revision at the last hyphen; whitespace around is ignored. */
function boundsInto(text: string, out: Float64Array): void {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  let epoch = 0;
  const colon = text.indexOf(':', start);
  if (colon > start && colon < end && allDigits(text, start, colon)) {
    epoch = Number(text.slice(start, colon));
    start = colon + 1;
  }
  const hyphen = text.lastIndexOf('-', end - 1);
  out[EPOCH] = epoch;
  out[UPSTREAM_START] = start;
  out[UPSTREAM_END] = hyphen >= start ? hyphen : end;
  out[REVISION_START] = hyphen >= start ? hyphen + 1 : end;
  out[END] = end;
}

function part(bounds: Float64Array, index: number): number {
  return bounds[index] as number;
}

export function compareDpkgVersions(a: string, b: string): number {
  if (a === b) return 0;
  boundsInto(a, LEFT);
  boundsInto(b, RIGHT);
  const left = part(LEFT, EPOCH);
  const right = part(RIGHT, EPOCH);
  if (left !== right) return left < right ? -1 : 1;
  return Math.sign(
    compareFragment(a, part(LEFT, UPSTREAM_START), part(LEFT, UPSTREAM_END), b, part(RIGHT, UPSTREAM_START), part(RIGHT, UPSTREAM_END)) ||
      compareFragment(a, part(LEFT, REVISION_START), part(LEFT, END), b, part(RIGHT, REVISION_START), part(RIGHT, END)),
  );
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]+$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]+$/;

/** The checks of dpkg's `parseversion()`, errors and warnings alike. */
export function isValidDpkgVersion(version: string): boolean {
  const text = version.trim();
  if (text.length === 0 || /\s/.test(text)) return false;
  const colon = text.indexOf(':');
  let rest = text;
  if (colon >= 0) {
    const epoch = text.slice(0, colon);
    if (!allDigits(epoch) || Number(epoch) > MAX_EPOCH) return false;
    rest = text.slice(colon + 1);
    if (rest.length === 0) return false;
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen < 0 ? rest : rest.slice(0, hyphen);
  const revision = hyphen < 0 ? null : rest.slice(hyphen + 1);
  if (upstream.length === 0 || !isDigit(upstream.charCodeAt(0)) || !UPSTREAM_CHARS.test(upstream)) return false;
  return revision === null || REVISION_CHARS.test(revision);
}

export const dpkgComparator: VersionComparator = {
  ecosystem: 'Debian',
  compare: compareDpkgVersions,
  isValid: isValidDpkgVersion,
};
