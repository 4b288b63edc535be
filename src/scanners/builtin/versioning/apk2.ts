import type { VersionComparator } from './version-comparator.js';

/**
 * Alpine version ordering as apk-tools 2 implements it (`src/version.c` of its 2.x
 * branches, up to 2.14), for Alpine releases before 3.23, which moved to apk-tools 3 (see
 * `registry.ts`). It differs from apk-tools 3 on versions outside the Gentoo-style grammar,
 * which Alpine's own packages and advisories do carry: digits after a letter
 * (`6.0.2p1-r3`, `1.9.5p1`) are a number, leading zeros and doubled dots are tolerated,
 * and a malformed tail ends the comparison instead of making the versions equal.
 *
 * A line-by-line port: token types are compared as apk-tools declares them, and a token's
 * value is a 64-bit number (a letter's character code, a suffix's rank).
 */

const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

/** A version being read: the text and where the unread part starts (apk's `apk_blob_t`). */
interface Blob {
  text: string;
  at: number;
}

interface Cursor {
  type: number;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

function isLower(char: string | undefined): boolean {
  return char !== undefined && char >= 'a' && char <= 'z';
}

function remaining(blob: Blob): number {
  return blob.text.length - blob.at;
}

function nextToken(cursor: Cursor, blob: Blob): void {
  let next = INVALID;
  const char = blob.text[blob.at];
  if (remaining(blob) === 0 || char === '\0') {
    next = END;
  } else if ((cursor.type === DIGIT || cursor.type === DIGIT_OR_ZERO) && isLower(char)) {
    next = LETTER;
  } else if (cursor.type === LETTER && isDigit(char)) {
    next = DIGIT;
  } else if (cursor.type === SUFFIX && isDigit(char)) {
    next = SUFFIX_NO;
  } else {
    if (char === '.') next = DIGIT_OR_ZERO;
    else if (char === '_') next = SUFFIX;
    else if (char === '-') {
      if (remaining(blob) > 1 && blob.text[blob.at + 1] === 'r') {
        next = REVISION_NO;
        blob.at++;
      } else next = INVALID;
    }
    blob.at++;
  }
  if (next < cursor.type) {
    const allowed = (next === DIGIT_OR_ZERO && cursor.type === DIGIT) || (next === SUFFIX && cursor.type === SUFFIX_NO) || (next === DIGIT && cursor.type === LETTER);
    if (!allowed) next = INVALID;
  }
  cursor.type = next;
}

/** The value of the token at the cursor, moving past it; the cursor takes the next token's type. */
function getToken(cursor: Cursor, blob: Blob): number {
  let length = 0;
  let nextType = INVALID;
  let value = 0;
  if (remaining(blob) <= 0) {
    cursor.type = END;
    return 0;
  }
  const text = blob.text;
  const start = blob.at;
  const invalid = (): number => {
    cursor.type = INVALID;
    return -1;
  };
  switch (cursor.type) {
    case DIGIT_OR_ZERO:
      if (text[start] === '0') {
        // Leading zeros: one token worth minus the number of zeros after the first.
        while (length + 1 < remaining(blob) && text[start + length + 1] === '0') length++;
        nextType = DIGIT;
        value = -length;
        break;
      }
    // falls through
    case DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      while (length < remaining(blob) && isDigit(text[start + length])) {
        value = value * 10 + Number(text[start + length]);
        length++;
      }
      if (length >= 18) return invalid();
      break;
    case LETTER:
      value = text.charCodeAt(start);
      length = 1;
      break;
    case SUFFIX: {
      const pre = PRE_SUFFIXES.findIndex((suffix) => text.startsWith(suffix, start));
      if (pre >= 0) {
        value = pre - PRE_SUFFIXES.length;
        length = (PRE_SUFFIXES[pre] as string).length;
        break;
      }
      const post = POST_SUFFIXES.findIndex((suffix) => text.startsWith(suffix, start));
      if (post < 0) return invalid();
      value = post;
      length = (POST_SUFFIXES[post] as string).length;
      break;
    }
    default:
      return invalid();
  }
  blob.at += length;
  if (remaining(blob) === 0) cursor.type = END;
  else if (nextType !== INVALID) cursor.type = nextType;
  else nextToken(cursor, blob);
  return value;
}

export function compareApk2Versions(a: string, b: string): number {
  const left: Blob = { text: a, at: 0 };
  const right: Blob = { text: b, at: 0 };
  const at: Cursor = { type: DIGIT };
  const bt: Cursor = { type: DIGIT };
  let av = 0;
  let bv = 0;
  while (at.type === bt.type && at.type !== END && at.type !== INVALID && av === bv) {
    av = getToken(at, left);
    bv = getToken(bt, right);
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (at.type === bt.type) return 0;
  // Equal so far: the longer version is the greater, unless what follows is a pre-release suffix.
  if (at.type === SUFFIX && getToken({ type: at.type }, left) < 0) return -1;
  if (bt.type === SUFFIX && getToken({ type: bt.type }, right) < 0) return 1;
  if (at.type > bt.type) return -1;
  if (bt.type > at.type) return 1;
  return 0;
}

export function isValidApk2Version(version: string): boolean {
  const blob: Blob = { text: version, at: 0 };
  const cursor: Cursor = { type: DIGIT };
  while (cursor.type !== END && cursor.type !== INVALID) getToken(cursor, blob);
  return cursor.type === END;
}

export const apk2Comparator: VersionComparator = {
  ecosystem: 'Alpine',
  compare: compareApk2Versions,
  isValid: isValidApk2Version,
};
