import type { VersionComparator } from './version-comparator.js';

/**
 * Python version ordering, PEP 440 as the `packaging` library implements it (what pip
 * uses): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spellings PEP 440
 * normalises (`alpha`, `beta`, `c`, `pre`, `preview`, `rev`, `r`, `-N` as a post-release,
 * separators `.`, `-`, `_` or none, any case, a leading `v`). Release segments compare
 * numerically with trailing zeros ignored (`1.0 == 1.0.0`); a dev release sorts before
 * its pre-release, which sorts before the release, which sorts before its post-release;
 * local versions sort after the same public version.
 */

export interface Pep440Version {
  /** Digit strings without leading zeros ("0" for zero). */
  epoch: string;
  release: string[];
  pre: { label: 'a' | 'b' | 'rc'; number: string } | null;
  post: string | null;
  dev: string | null;
  /** Lower-cased segments, numeric ones without leading zeros. */
  local: string[] | null;
}

// packaging's VERSION_PATTERN, applied to the lower-cased, trimmed text.
const VERSION_PATTERN = new RegExp(
  [
    '^v?',
    '(?:(\\d+)!)?', // epoch
    '(\\d+(?:\\.\\d+)*)', // release
    '(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\\d+)?)?', // pre-release
    '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?', // post-release
    '(?:[-_.]?(dev)[-_.]?(\\d+)?)?', // dev release
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?', // local version
    '$',
  ].join(''),
);

const PRE_LABELS: Readonly<Record<string, 'a' | 'b' | 'rc'>> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', c: 'rc', pre: 'rc', preview: 'rc', rc: 'rc' };

const MAX_LENGTH = 256;

function integer(digits: string | undefined): string {
  return (digits ?? '0').replace(/^0+(?=\d)/, '');
}

export function parsePep440(version: string): Pep440Version | null {
  if (version.length > MAX_LENGTH) return null;
  const text = version.trim();
  // packaging refuses non-ASCII outright: some letters match [a-z] once case is folded.
  if (/[^\x00-\x7f]/.test(text)) return null;
  const match = VERSION_PATTERN.exec(text.toLowerCase());
  if (!match) return null;
  const [, epoch, release = '', preLabel, preNumber, implicitPost, postLabel, postNumber, devLabel, devNumber, local] = match;
  return {
    epoch: integer(epoch),
    release: release.split('.').map(integer),
    pre: preLabel ? { label: PRE_LABELS[preLabel] ?? 'rc', number: integer(preNumber) } : null,
    post: implicitPost !== undefined ? integer(implicitPost) : postLabel ? integer(postNumber) : null,
    dev: devLabel ? integer(devNumber) : null,
    local: local === undefined ? null : local.split(/[-_.]/).map((part) => (/^\d+$/.test(part) ? integer(part) : part)),
  };
}

/** The normalised form PEP 440 prints: `1.0RC1` → `1.0rc1`, `1.0-1` → `1.0.post1`. */
export function normalisePep440(version: string): string | null {
  const parsed = parsePep440(version);
  if (!parsed) return null;
  let text = parsed.epoch === '0' ? '' : `${parsed.epoch}!`;
  text += parsed.release.join('.');
  if (parsed.pre) text += `${parsed.pre.label}${parsed.pre.number}`;
  if (parsed.post !== null) text += `.post${parsed.post}`;
  if (parsed.dev !== null) text += `.dev${parsed.dev}`;
  if (parsed.local) text += `+${parsed.local.join('.')}`;
  return text;
}

function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutTrailingZeros(release: readonly string[]): readonly string[] {
  let end = release.length;
  while (end > 0 && release[end - 1] === '0') end--;
  return release.slice(0, end);
}

function compareReleases(a: readonly string[], b: readonly string[]): number {
  const x = withoutTrailingZeros(a);
  const y = withoutTrailingZeros(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const result = compareNumbers(x[i] as string, y[i] as string);
    if (result !== 0) return result;
  }
  return Math.sign(x.length - y.length);
}

/**
 * packaging's `_cmpkey` for the pre-release: a release with only a dev part sorts before
 * every pre-release of it (`1.0.dev0 < 1.0a0`), one without a pre-release after them all.
 */
function preRank(version: Pep440Version): number {
  if (version.pre) return 0;
  return version.post === null && version.dev !== null ? -1 : 1;
}

function comparePre(a: Pep440Version, b: Pep440Version): number {
  const rank = preRank(a) - preRank(b);
  if (rank !== 0) return Math.sign(rank);
  if (!a.pre || !b.pre) return 0;
  return compareText(a.pre.label, b.pre.label) || compareNumbers(a.pre.number, b.pre.number);
}

/** Absent sorts as `absent` says (below or above every number); present ones numerically. */
function compareOptional(a: string | null, b: string | null, absent: 'below' | 'above'): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    const aIsAbsent = a === null;
    return (absent === 'below') === aIsAbsent ? -1 : 1;
  }
  return compareNumbers(a, b);
}

/** Local segments: numeric ones above alphanumeric ones; a longer local version wins a tie. */
function compareLocals(a: readonly string[] | null, b: readonly string[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const numericX = /^\d+$/.test(x);
    const numericY = /^\d+$/.test(y);
    const result = numericX && numericY ? compareNumbers(x, y) : numericX !== numericY ? (numericX ? 1 : -1) : compareText(x, y);
    if (result !== 0) return result;
  }
  return Math.sign(a.length - b.length);
}

export function compareParsedPep440(a: Pep440Version, b: Pep440Version): number {
  return (
    compareNumbers(a.epoch, b.epoch) ||
    compareReleases(a.release, b.release) ||
    comparePre(a, b) ||
    compareOptional(a.post, b.post, 'below') ||
    compareOptional(a.dev, b.dev, 'above') ||
    compareLocals(a.local, b.local)
  );
}

/**
 * Total on any input: strings that are not PEP 440 versions (legacy ones, which pip no
 * longer accepts either) sort before every version and among themselves as strings.
 */
export function comparePep440(a: string, b: string): number {
  if (a === b) return 0;
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (x && y) return compareParsedPep440(x, y);
  if (x || y) return x ? 1 : -1;
  return a < b ? -1 : 1;
}

export function isValidPep440(version: string): boolean {
  return parsePep440(version) !== null;
}

export const pep440Comparator: VersionComparator = {
  ecosystem: 'PyPI',
  compare: comparePep440,
  isValid: isValidPep440,
};
