import { AnalyserError, MAX_PACKAGES_PER_DATABASE } from '../analyser.js';
import { parseRpmHeader, type RpmHeaderPackage } from './rpm-header.js';

/**
 * rpm's BerkeleyDB database (rpm < 4.16: RHEL and CentOS 7 and 8, Amazon Linux 2, Fedora
 * 32 and older): `Packages` is a Berkeley DB hash database whose keys are 4-byte header
 * numbers and whose values are package headers, in the same blob format as the SQLite
 * `Packages.blob` column. The file is read from memory, walked as rpm's own read-only
 * reader (`bdb_ro`) walks it: bucket by bucket through the metadata page's spares, each
 * bucket's chain of hash pages, each large value's chain of overflow pages. Every page
 * is visited at most once, so a damaged or hostile file costs at most one pass over it.
 *
 * Layouts from Berkeley DB's `dbinc/db_page.h`: every number is in the byte order the
 * file was written in, which the metadata page's magic number tells.
 */

const HASH_MAGIC = 0x061561;
const OTHER_MAGICS: Readonly<Record<number, string>> = { 0x053162: 'a Btree', 0x042253: 'a Queue', 0x074582: 'a Heap' };
/** Hash versions 8 (Berkeley DB 4.x) to 10 (6.x), the ones rpm's own reader accepts. */
const HASH_VERSIONS = new Set([8, 9, 10]);
/** The metadata page, the smallest page size and the most Berkeley DB reads to identify a file. */
const META_BYTES = 512;
const MAX_PAGE_SIZE = 65536;

const PAGE_HEADER_BYTES = 26;
// Page checksums put 6 more bytes (2 of padding, 4 of checksum) before a page's contents.
const CHECKSUMMED_PAGE_HEADER_BYTES = 32;
const METAFLAG_CHECKSUM = 0x01;
const METAFLAGS_PARTITIONED = 0x02 | 0x04;
const HASH_FLAG_SUBDATABASES = 0x02;
/** The spares table: the first page of each doubling of the bucket count. */
const SPARES_AT = 96;
const SPARES = 32;

const PAGE_TYPE = { hashUnsorted: 2, overflow: 7, hashMeta: 8, hash: 13 } as const;
const ITEM_TYPE = { keyData: 1, duplicate: 2, offPage: 3, offPageDuplicates: 4, blob: 5 } as const;
const OFF_PAGE_ITEM_BYTES = 12;

export interface BerkeleyHashRecord {
  key: Buffer;
  value: Buffer;
}

export interface BerkeleyHashDatabase {
  records: BerkeleyHashRecord[];
  littleEndian: boolean;
  pageSize: number;
  checksummed: boolean;
  /** How the file was laid out, for tests and benchmarks to see which paths a file took. */
  stats: { buckets: number; emptyBuckets: number; hashPages: number; overflowPages: number; inlineValues: number; overflowValues: number };
}

function unreadable(path: string, why: string): AnalyserError {
  return new AnalyserError(`${path} is not a readable RPM BerkeleyDB database: ${why}`);
}

interface Meta {
  littleEndian: boolean;
  pageSize: number;
  checksummed: boolean;
  lastPage: number;
  maxBucket: number;
  spares: number[];
}

function magicOrder(bytes: Buffer): { magic: number; littleEndian: boolean } {
  const little = bytes.readUInt32LE(12);
  if (little === HASH_MAGIC || little in OTHER_MAGICS) return { magic: little, littleEndian: true };
  return { magic: bytes.readUInt32BE(12), littleEndian: false };
}

function readMeta(bytes: Buffer, path: string): Meta {
  if (bytes.length < META_BYTES) throw unreadable(path, `${bytes.length} bytes, shorter than a ${META_BYTES}-byte BerkeleyDB metadata page`);
  const { magic, littleEndian } = magicOrder(bytes);
  const other = OTHER_MAGICS[magic];
  if (other) throw unreadable(path, `it is ${other} BerkeleyDB database, and rpm keeps its packages in a Hash one: this format is not supported`);
  if (magic !== HASH_MAGIC) throw unreadable(path, 'it does not start with a BerkeleyDB metadata page (no hash magic number)');
  const u32 = (at: number): number => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const version = u32(16);
  if (!HASH_VERSIONS.has(version)) throw unreadable(path, `hash version ${version}, not one of 8, 9 and 10`);
  const pageSize = u32(20);
  if (pageSize < META_BYTES || pageSize > MAX_PAGE_SIZE || (pageSize & (pageSize - 1)) !== 0) throw unreadable(path, `the page size ${pageSize} is not a power of two from 512 to 65536`);
  if (bytes[25] !== PAGE_TYPE.hashMeta) throw unreadable(path, `page 0 has type ${bytes[25]}, not a hash metadata page`);
  if (bytes[24] !== 0) throw unreadable(path, 'it is encrypted');
  const metaflags = bytes[26] ?? 0;
  if (metaflags & METAFLAGS_PARTITIONED) throw unreadable(path, 'it is partitioned across several files');
  if (u32(48) & HASH_FLAG_SUBDATABASES) throw unreadable(path, 'it holds several subdatabases');
  const lastPage = u32(32);
  const pages = lastPage + 1;
  if (bytes.length < pages * pageSize) throw unreadable(path, `it is truncated: ${bytes.length} bytes of the ${pages} pages of ${pageSize} bytes its metadata announces`);
  if (bytes.length % pageSize !== 0) throw unreadable(path, `its ${bytes.length} bytes are not a whole number of ${pageSize}-byte pages`);
  const maxBucket = u32(72);
  // Every bucket has a page of its own: more buckets than pages is a corrupt count.
  if (maxBucket >= pages) throw unreadable(path, `it announces ${maxBucket + 1} buckets in ${pages} pages`);
  const spares = Array.from({ length: SPARES }, (_, i) => u32(SPARES_AT + 4 * i));
  return { littleEndian, pageSize, checksummed: (metaflags & METAFLAG_CHECKSUM) !== 0, lastPage, maxBucket, spares };
}

/**
 * Berkeley DB's `BS_TO_PAGE`: a bucket's page is its number plus the spare of its doubling,
 * `⌈log2(bucket + 1)⌉`, which is the bucket number's count of significant bits.
 */
function bucketPage(bucket: number, spares: readonly number[]): number {
  return bucket + (spares[32 - Math.clz32(bucket)] ?? 0);
}

/**
 * Every record of a Berkeley DB hash database, in bucket order. Values too large for a
 * page are reassembled from their overflow pages; `maxRecords` bounds what a file can
 * make this allocate besides its own size.
 */
export function readBerkeleyHash(bytes: Buffer, path: string, maxRecords: number): BerkeleyHashDatabase {
  const meta = readMeta(bytes, path);
  const { littleEndian, pageSize, lastPage } = meta;
  const overhead = meta.checksummed ? CHECKSUMMED_PAGE_HEADER_BYTES : PAGE_HEADER_BYTES;
  const u16 = (at: number): number => (littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number): number => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const visited = new Uint8Array(lastPage + 1);
  const stats = { buckets: meta.maxBucket + 1, emptyBuckets: 0, hashPages: 0, overflowPages: 0, inlineValues: 0, overflowValues: 0 };

  /** The offset of page `pgno`, claimed for one use: a page reached twice means a loop or a shared chain. */
  const claimPage = (pgno: number, from: string, kind: 'hash' | 'overflow'): number => {
    if (pgno < 1 || pgno > lastPage) throw unreadable(path, `${from} points to page ${pgno}, past the end of the file (its last page is ${lastPage})`);
    if (visited[pgno]) throw unreadable(path, `${from} points to page ${pgno}, which is already read: the chain loops or is shared`);
    visited[pgno] = 1;
    const start = pgno * pageSize;
    const type = bytes[start + 25] ?? 0;
    const expected = kind === 'hash' ? type === PAGE_TYPE.hash || type === PAGE_TYPE.hashUnsorted : type === PAGE_TYPE.overflow;
    if (!expected) throw unreadable(path, `${from} points to page ${pgno}, which has type ${type}, not a ${kind} page`);
    if (u32(start + 8) !== pgno) throw unreadable(path, `page ${pgno} says it is page ${u32(start + 8)}`);
    return start;
  };

  const readOverflow = (first: number, total: number, from: string): Buffer => {
    const room = pageSize - overhead;
    if (total === 0 || total > lastPage * room) throw unreadable(path, `${from} announces an overflow value of ${total} bytes, more than the file holds`);
    const value = Buffer.alloc(total);
    let filled = 0;
    let pgno = first;
    let previous = from;
    while (filled < total) {
      if (pgno === 0) throw unreadable(path, `${from}: its overflow chain ends after ${filled} of its ${total} bytes`);
      const start = claimPage(pgno, previous, 'overflow');
      stats.overflowPages++;
      const length = u16(start + 22);
      if (length === 0 || length > room || length > total - filled) throw unreadable(path, `overflow page ${pgno} holds ${length} bytes, which do not fit its page or its value`);
      bytes.copy(value, filled, start + overhead, start + overhead + length);
      filled += length;
      previous = `overflow page ${pgno}`;
      pgno = u32(start + 16);
    }
    if (pgno !== 0) throw unreadable(path, `${from}: its overflow chain runs on past the ${total} bytes it announces`);
    return value;
  };

  /** One key or value: on the page (`H_KEYDATA`) or in overflow pages (`H_OFFPAGE`). */
  const readItem = (at: number, end: number, from: string): { data: Buffer; inline: boolean } => {
    const type = bytes[at];
    if (type === ITEM_TYPE.keyData) return { data: bytes.subarray(at + 1, end), inline: true };
    if (type === ITEM_TYPE.offPage) {
      if (end - at !== OFF_PAGE_ITEM_BYTES) throw unreadable(path, `${from} is an overflow reference of ${end - at} bytes, not ${OFF_PAGE_ITEM_BYTES}`);
      return { data: readOverflow(u32(at + 4), u32(at + 8), from), inline: false };
    }
    if (type === ITEM_TYPE.duplicate || type === ITEM_TYPE.offPageDuplicates) throw unreadable(path, `${from} holds duplicate values, which an rpm database never has`);
    if (type === ITEM_TYPE.blob) throw unreadable(path, `${from} is kept in an external blob file`);
    throw unreadable(path, `${from} has the unknown item type ${type}`);
  };

  const records: BerkeleyHashRecord[] = [];
  const readHashPage = (start: number, pgno: number): void => {
    stats.hashPages++;
    const entries = u16(start + 20);
    if (entries % 2 !== 0) throw unreadable(path, `page ${pgno} has ${entries} items, not key and value pairs`);
    const indexEnd = overhead + 2 * entries;
    if (indexEnd > pageSize) throw unreadable(path, `page ${pgno} has ${entries} items, more than fit in a page`);
    // Items are packed downwards from the end of the page: item i ends where item i - 1 starts.
    let itemEnd = pageSize;
    let key: Buffer | null = null;
    for (let i = 0; i < entries; i++) {
      const offset = u16(start + overhead + 2 * i);
      const from = `page ${pgno}, item ${i},`;
      if (offset < indexEnd || offset >= itemEnd) throw unreadable(path, `${from} lies at offset ${offset}, outside the page's item area`);
      const item = readItem(start + offset, start + itemEnd, from);
      itemEnd = offset;
      if (key === null) {
        key = item.data;
        continue;
      }
      if (records.length >= maxRecords) throw unreadable(path, `it holds more than ${maxRecords} records`);
      records.push({ key, value: item.data });
      if (item.inline) stats.inlineValues++;
      else stats.overflowValues++;
      key = null;
    }
  };

  // Berkeley DB reserves the pages of a doubling of the bucket count but writes a bucket's
  // page only once something is stored in it: a page of zeros is an empty bucket.
  const zeroPage = Buffer.alloc(pageSize);
  const neverWritten = (pgno: number): boolean => pgno >= 1 && pgno <= lastPage && !visited[pgno] && zeroPage.equals(bytes.subarray(pgno * pageSize, (pgno + 1) * pageSize));

  for (let bucket = 0; bucket <= meta.maxBucket; bucket++) {
    let from = `bucket ${bucket}`;
    let pgno = bucketPage(bucket, meta.spares);
    if (neverWritten(pgno)) {
      visited[pgno] = 1;
      stats.emptyBuckets++;
      continue;
    }
    do {
      const start = claimPage(pgno, from, 'hash');
      readHashPage(start, pgno);
      from = `hash page ${pgno}`;
      pgno = u32(start + 16);
    } while (pgno !== 0);
  }
  return { records, littleEndian, pageSize, checksummed: meta.checksummed, stats };
}

/**
 * Every package header of the database, parsed and checked, by header number; an empty
 * file is an empty database. rpm keeps the highest header number it has given out under
 * key 0: that record is not a package.
 */
export function readRpmBerkeley(bytes: Buffer, path: string): RpmHeaderPackage[] {
  if (bytes.length === 0) return [];
  const database = readBerkeleyHash(bytes, path, MAX_PACKAGES_PER_DATABASE + 1);
  const numbered = database.records.map(({ key, value }) => {
    if (key.length !== 4) throw unreadable(path, `a record has a ${key.length}-byte key, not a 4-byte header number`);
    return { hnum: database.littleEndian ? key.readUInt32LE(0) : key.readUInt32BE(0), blob: value };
  });
  const packages = numbered.filter(({ hnum }) => hnum !== 0).sort((a, b) => a.hnum - b.hnum);
  if (packages.length > MAX_PACKAGES_PER_DATABASE) throw unreadable(path, `it lists more than ${MAX_PACKAGES_PER_DATABASE} packages`);
  return packages.map(({ hnum, blob }) => parseRpmHeader(blob, `${path}, package ${hnum},`));
}
