import type { VersionComparator } from './version-comparator.js';

/**
 * Debian version ordering (Debian Policy §5.6.12, dpkg's `lib/dpkg/version.c`):
 * `[epoch:]upstream[-revision]`, epochs compared as integers, then upstream and revision
 * each by alternating non-digit runs (letters before other characters, `~` before
 * everything, even the end of the string) and digit runs (as integers).
 */

interface DpkgParts {
  epoch: number;
  upstream: string;
  revision: string;
}

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

/** dpkg's `verrevcmp()`, over string indices so that comparing allocates nothing. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function allDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** Splits as dpkg does: the epoch at the first colon, the revision at the last hyphen. */
function splitVersion(version: string): DpkgParts {
  const text = version.trim();
  const colon = text.indexOf(':');
  let epoch = 0;
  let rest = text;
  if (colon > 0 && allDigits(text.slice(0, colon))) {
    epoch = Number(text.slice(0, colon));
    rest = text.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  return hyphen < 0
    ? { epoch, upstream: rest, revision: '' }
    : { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

export function compareDpkgVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = splitVersion(a);
  const right = splitVersion(b);
  if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
  return Math.sign(compareFragment(left.upstream, right.upstream) || compareFragment(left.revision, right.revision));
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
