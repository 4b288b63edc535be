/**
 * Matches `text` against a glob where `*` stands for any run of characters (`/` included)
 * and every other character for itself. Linear in the lengths of both: the pattern is
 * split at its stars, the first piece must start the text and the last end it, and each
 * piece between is found leftmost after the one before (leftmost is always safe when the
 * only wildcard is `*`) with a Knuth–Morris–Pratt search. No regular expression is built,
 * so a hostile pattern cannot make matching slow.
 */
export function globMatches(pattern: string, text: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === text;
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (first.length + last.length > text.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let from = first.length;
  const end = text.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    if (piece === '') continue;
    const at = findFrom(text, piece, from, end);
    if (at < 0) return false;
    from = at + piece.length;
  }
  return true;
}

/** Knuth–Morris–Pratt: the first index ≥ `from` where `needle` lies wholly before `end`, or -1. */
function findFrom(text: string, needle: string, from: number, end: number): number {
  const failure = new Array<number>(needle.length).fill(0);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = failure[k - 1] ?? 0;
    if (needle[i] === needle[k]) k++;
    failure[i] = k;
  }
  for (let i = from, k = 0; i < end; i++) {
    while (k > 0 && text[i] !== needle[k]) k = failure[k - 1] ?? 0;
    if (text[i] === needle[k]) k++;
    if (k === needle.length) return i - needle.length + 1;
  }
  return -1;
}
