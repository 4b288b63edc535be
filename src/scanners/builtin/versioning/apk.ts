import type { VersionComparator } from './version-comparator.js';

/**
 * Alpine version ordering, as apk-tools' `src/version.c` implements it:
 * `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}`, where the pre-release
 * suffixes `_alpha` < `_beta` < `_pre` < `_rc` sort before the plain release and the
 * post-release ones `_cvs` < `_svn` < `_git` < `_hg` < `_p` after it.
 */

// Token kinds in the order apk-tools declares them; the order decides which of two
// versions that agree on a common prefix is the greater.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

// Suffix ranks: pre-release below NONE (a plain release), post-release above it.
const SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

interface Token {
  kind: number;
  /** The token's characters: digits, the letter, the suffix name or the hash. */
  value: string;
  suffix: number;
}

class Tokenizer {
  private position = 0;
  readonly token: Token = { kind: INITIAL_DIGIT, value: '', suffix: 0 };

  constructor(private readonly text: string) {
    this.readDigits();
  }

  next(): void {
    const token = this.token;
    if (this.position >= this.text.length) {
      token.kind = END;
      return;
    }
    const char = this.text[this.position] as string;
    if (char >= 'a' && char <= 'z') {
      if (token.kind > DIGIT) return this.invalid();
      token.kind = LETTER;
      token.value = char;
      this.position++;
    } else if (char === '.' || (char >= '0' && char <= '9')) {
      if (char === '.') {
        if (token.kind > DIGIT) return this.invalid();
        this.position++;
      }
      if (token.kind === INITIAL_DIGIT || token.kind === DIGIT) token.kind = DIGIT;
      else if (token.kind === SUFFIX) token.kind = SUFFIX_NO;
      else return this.invalid();
      this.readDigits();
    } else if (char === '_') {
      if (token.kind > SUFFIX_NO) return this.invalid();
      this.position++;
      const name = this.readWhile(/[a-z]/);
      const rank = SUFFIX_RANK[name];
      if (rank === undefined) return this.invalid();
      token.kind = SUFFIX;
      token.value = name;
      token.suffix = rank;
    } else if (char === '~') {
      if (token.kind >= COMMIT_HASH) return this.invalid();
      this.position++;
      token.value = this.readWhile(/[0-9a-f]/);
      token.kind = token.value.length === 0 ? INVALID : COMMIT_HASH;
    } else if (char === '-') {
      if (token.kind >= REVISION_NO || this.text[this.position + 1] !== 'r') return this.invalid();
      this.position += 2;
      token.kind = REVISION_NO;
      this.readDigits();
    } else {
      this.invalid();
    }
  }

  private readDigits(): void {
    this.token.value = this.readWhile(/[0-9]/);
    if (this.token.value.length === 0) this.token.kind = INVALID;
  }

  private readWhile(pattern: RegExp): string {
    const start = this.position;
    while (this.position < this.text.length && pattern.test(this.text[this.position] as string)) this.position++;
    return this.text.slice(start, this.position);
  }

  private invalid(): void {
    this.token.kind = INVALID;
  }
}

/** Numeric order of two digit strings of any length (apk reads them as 64-bit integers). */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** apk's `apk_blob_sort`: bytewise, then the shorter first. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTokens(a: Token, b: Token): number {
  switch (a.kind) {
    case DIGIT:
      // A component with a leading zero compares as a string, as in Gentoo's rules (1.01 < 1.1).
      if (a.value.startsWith('0') || b.value.startsWith('0')) return compareStrings(a.value, b.value);
      return compareNumbers(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareNumbers(a.value, b.value);
    case LETTER:
      return compareStrings(a.value, b.value);
    case SUFFIX:
      return Math.sign(a.suffix - b.suffix);
    default:
      return compareStrings(a.value, b.value);
  }
}

export function compareApkVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = new Tokenizer(a);
  const right = new Tokenizer(b);
  const x = left.token;
  const y = right.token;
  while (x.kind === y.kind && x.kind < END) {
    const result = compareTokens(x, y);
    if (result !== 0) return result;
    left.next();
    right.next();
  }
  if (x.kind === y.kind) return 0;
  // Equal so far: the longer version is the greater, unless what follows is a pre-release suffix.
  if (x.kind === SUFFIX && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === SUFFIX && y.suffix < SUFFIX_NONE) return 1;
  return x.kind > y.kind ? -1 : 1;
}

export function isValidApkVersion(version: string): boolean {
  const tokenizer = new Tokenizer(version);
  while (tokenizer.token.kind < END) tokenizer.next();
  return tokenizer.token.kind === END;
}

export const apkComparator: VersionComparator = {
  ecosystem: 'Alpine',
  compare: compareApkVersions,
  isValid: isValidApkVersion,
};
