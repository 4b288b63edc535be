/**
 * Opaque page position of a findings listing: the (first_seen, id) of the last finding
 * shown. Shared by the store, which pages with it, and the HTTP layer, which refuses a
 * cursor it did not hand out.
 */
export interface FindingsCursor {
  firstSeen: number;
  id: number;
}

export function encodeCursor(firstSeen: number, id: number): string {
  return Buffer.from(`${firstSeen}.${id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one `encodeCursor` could have made. */
export function decodeCursor(cursor: string): FindingsCursor | null {
  const match = /^([0-9]{1,16})\.([0-9]{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  const position = { firstSeen: Number(match[1]), id: Number(match[2]) };
  // base64url decoding skips what it cannot read: only the exact encoding is ours.
  return encodeCursor(position.firstSeen, position.id) === cursor ? position : null;
}

/**
 * `sort=risk` pages by position: its order is computed from data a daily import moves, so
 * a page continues at an offset into the ranking rather than after a row.
 */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(`r${offset}`).toString('base64url');
}

export function decodeOffsetCursor(cursor: string): number | null {
  const match = /^r([0-9]{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  const offset = Number(match[1]);
  return encodeOffsetCursor(offset) === cursor ? offset : null;
}
