import type { FileHandle } from 'node:fs/promises';

/** Where a regular file of a tar archive lies: its bytes are read in place, never extracted. */
export interface ArchiveEntry {
  offset: number;
  size: number;
}

const BLOCK = 512;
/** `docker save` archives hold a few files per layer; more than this is not an image archive. */
const MAX_ENTRIES = 100_000;
/** A GNU long name or pax header longer than this is not a path. */
const MAX_META_BYTES = 64 * 1024;

/**
 * The regular files of an uncompressed tar (an OCI layout or `docker save` archive) by
 * path, from their headers alone: ustar names with their prefix, GNU long names and pax
 * `path` records. Throws on a malformed header.
 */
export async function indexArchive(file: FileHandle): Promise<Map<string, ArchiveEntry>> {
  const entries = new Map<string, ArchiveEntry>();
  const { size: total } = await file.stat();
  const header = Buffer.alloc(BLOCK);
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= total) {
    await readFully(file, header, offset);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) throw new Error(`not a tar archive (bad header at byte ${offset})`);
    const size = sizeOf(header);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataAt = offset + BLOCK;
    if (dataAt + size > total) throw new Error('the archive is truncated');
    if (type === 'L' || type === 'x') {
      if (size > MAX_META_BYTES) throw new Error('the archive has an oversized header record');
      const meta = Buffer.alloc(size);
      await readFully(file, meta, dataAt);
      longName = type === 'L' ? meta.toString('utf8').replace(/\0.*$/s, '') : (paxPath(meta) ?? longName);
    } else {
      if (type === '0' || type === '\0') entries.set(normalise(longName ?? ustarName(header)), { offset: dataAt, size });
      longName = null;
      if (entries.size > MAX_ENTRIES) throw new Error(`the archive has more than ${MAX_ENTRIES} files`);
    }
    offset = dataAt + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

async function readFully(file: FileHandle, target: Buffer, position: number): Promise<void> {
  const { bytesRead } = await file.read(target, 0, target.length, position);
  if (bytesRead !== target.length) throw new Error('the archive is truncated');
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function ustarName(header: Buffer): string {
  const name = field(header, 0, 100);
  const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function sizeOf(header: Buffer): number {
  // Base-256 (GNU) for sizes over 8 GiB: the high bit of the first byte.
  if (((header[124] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (let i = 125; i < 136; i++) value = value * 256 + (header[i] ?? 0);
    return value;
  }
  const text = field(header, 124, 12).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('not a tar archive (bad size field)');
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function checksumMatches(header: Buffer): boolean {
  const stored = Number.parseInt(field(header, 148, 8).replace(/[\0 ]/g, ''), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum === stored;
}

/** The `path` of pax extended header records (`LEN path=VALUE\n`). */
function paxPath(meta: Buffer): string | null {
  let at = 0;
  let found: string | null = null;
  while (at < meta.length) {
    const space = meta.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(meta.subarray(at, space).toString('latin1'), 10);
    if (!Number.isInteger(length) || length <= 0 || at + length > meta.length) break;
    const record = meta.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) found = record.slice('path='.length);
    at += length;
  }
  return found;
}

function normalise(path: string): string {
  return path.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}
