import { AnalyserError, isSaneToken } from '../analyser.js';

/**
 * An RPM header as the package database stores it (rpm's `headerExport`, without the
 * 8-byte magic a package file carries): two big-endian 32-bit counts, the index entries
 * (`il` of 16 bytes: tag, type, offset, count) and the data store (`dl` bytes) the
 * offsets point into. Every field read is checked, as rpm's `hdrblobVerifyInfo` does,
 * so that a corrupt blob fails with a reason instead of a wrong package.
 */

export interface RpmHeaderPackage {
  name: string;
  /** Null when the package has no Epoch tag (which rpm compares as 0). */
  epoch: number | null;
  version: string;
  release: string;
  arch: string | null;
  /** `openssl-3.0.7-16.el9_2.src.rpm`; null for packages without one (gpg-pubkey). */
  sourceRpm: string | null;
  /** The files the package installed, relative to the image root (no leading `/`). */
  files: string[];
}

export const RPMTAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  arch: 1022,
  oldFileNames: 1027,
  sourceRpm: 1044,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
} as const;

export const RPM_TYPE = { null: 0, char: 1, int8: 2, int16: 3, int32: 4, int64: 5, string: 6, bin: 7, stringArray: 8, i18nString: 9 } as const;

const ENTRY_BYTES = 16;
// rpm's hdrchkTags and HEADER_DATA_MAX: beyond these a header is refused as corrupt.
const MAX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 0x0fffffff;
const ALIGNMENT: Readonly<Record<number, number>> = { [RPM_TYPE.int16]: 2, [RPM_TYPE.int32]: 4, [RPM_TYPE.int64]: 8 };
const FIXED_SIZE: Readonly<Record<number, number>> = {
  [RPM_TYPE.char]: 1,
  [RPM_TYPE.int8]: 1,
  [RPM_TYPE.int16]: 2,
  [RPM_TYPE.int32]: 4,
  [RPM_TYPE.int64]: 8,
  [RPM_TYPE.bin]: 1,
};

interface IndexEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

function corrupt(where: string, what: string): AnalyserError {
  return new AnalyserError(`${where} is a corrupt RPM header: ${what}`);
}

/** Reads and checks the index; returns the entries by tag and where the data store starts. */
function readIndex(blob: Buffer, where: string): { entries: Map<number, IndexEntry>; dataStart: number; dataLength: number } {
  if (blob.length < 8) throw corrupt(where, `${blob.length} bytes, shorter than its two counts`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_ENTRIES) throw corrupt(where, `${il} index entries`);
  if (dl > MAX_DATA_BYTES) throw corrupt(where, `${dl} bytes of data`);
  const dataStart = 8 + il * ENTRY_BYTES;
  if (blob.length !== dataStart + dl) throw corrupt(where, `${blob.length} bytes, but 8 + 16 × ${il} entries + ${dl} bytes of data make ${dataStart + dl}`);
  const entries = new Map<number, IndexEntry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_BYTES;
    const entry: IndexEntry = { tag: blob.readInt32BE(at), type: blob.readUInt32BE(at + 4), offset: blob.readInt32BE(at + 8), count: blob.readUInt32BE(at + 12) };
    checkEntry(entry, dl, where);
    if (!entries.has(entry.tag)) entries.set(entry.tag, entry);
  }
  return { entries, dataStart, dataLength: dl };
}

function checkEntry(entry: IndexEntry, dataLength: number, where: string): void {
  const what = `tag ${entry.tag}`;
  if (entry.type > RPM_TYPE.i18nString) throw corrupt(where, `${what} has the unknown type ${entry.type}`);
  if (entry.offset < 0 || entry.offset > dataLength) throw corrupt(where, `${what} points outside the data (offset ${entry.offset} of ${dataLength})`);
  if (entry.count < 1 || entry.count > dataLength) throw corrupt(where, `${what} has the impossible count ${entry.count}`);
  const alignment = ALIGNMENT[entry.type];
  if (alignment && entry.offset % alignment !== 0) throw corrupt(where, `${what} is not aligned to ${alignment} bytes`);
  const size = FIXED_SIZE[entry.type];
  if (size && entry.offset + size * entry.count > dataLength) throw corrupt(where, `${what} runs past the end of the data`);
}

function readString(blob: Buffer, start: number, end: number, entry: IndexEntry, where: string): string {
  if (entry.type !== RPM_TYPE.string && entry.type !== RPM_TYPE.stringArray && entry.type !== RPM_TYPE.i18nString) {
    throw corrupt(where, `tag ${entry.tag} should be a string but has type ${entry.type}`);
  }
  const from = start + entry.offset;
  const nul = blob.indexOf(0, from);
  if (nul < 0 || nul >= end) throw corrupt(where, `tag ${entry.tag}: its string runs past the end of the data`);
  return blob.toString('utf8', from, nul);
}

function readStrings(blob: Buffer, start: number, end: number, entry: IndexEntry, where: string): string[] {
  if (entry.type !== RPM_TYPE.stringArray) throw corrupt(where, `tag ${entry.tag} should be a string array but has type ${entry.type}`);
  const strings: string[] = [];
  let from = start + entry.offset;
  for (let i = 0; i < entry.count; i++) {
    const nul = blob.indexOf(0, from);
    if (nul < 0 || nul >= end) throw corrupt(where, `tag ${entry.tag}: its strings run past the end of the data`);
    strings.push(blob.toString('utf8', from, nul));
    from = nul + 1;
  }
  return strings;
}

function readInt32s(blob: Buffer, start: number, entry: IndexEntry, where: string): number[] {
  if (entry.type !== RPM_TYPE.int32) throw corrupt(where, `tag ${entry.tag} should be 32-bit integers but has type ${entry.type}`);
  const values: number[] = [];
  for (let i = 0; i < entry.count; i++) values.push(blob.readUInt32BE(start + entry.offset + 4 * i));
  return values;
}

/**
 * The installed paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]` (rpm ≥ 4.0), or the
 * `OLDFILENAMES` of older headers. Relative to the root, as the image's layers name them.
 */
function fileList(blob: Buffer, start: number, end: number, entries: ReadonlyMap<number, IndexEntry>, where: string): string[] {
  const baseEntry = entries.get(RPMTAG.baseNames);
  const dirEntry = entries.get(RPMTAG.dirNames);
  const indexEntry = entries.get(RPMTAG.dirIndexes);
  if (baseEntry && dirEntry && indexEntry) {
    const bases = readStrings(blob, start, end, baseEntry, where);
    const dirs = readStrings(blob, start, end, dirEntry, where);
    const indexes = readInt32s(blob, start, indexEntry, where);
    if (indexes.length !== bases.length) throw corrupt(where, `${bases.length} file names but ${indexes.length} directory indexes`);
    return bases.map((base, i) => {
      const dir = dirs[indexes[i] ?? -1];
      if (dir === undefined) throw corrupt(where, `file ${i} names directory ${indexes[i]} of ${dirs.length}`);
      return `${dir}${base}`.replace(/^\/+/, '');
    });
  }
  const old = entries.get(RPMTAG.oldFileNames);
  return old ? readStrings(blob, start, end, old, where).map((path) => path.replace(/^\/+/, '')) : [];
}

function readInt32(blob: Buffer, start: number, entry: IndexEntry, where: string): number {
  if (entry.type !== RPM_TYPE.int32) throw corrupt(where, `tag ${entry.tag} should be a 32-bit integer but has type ${entry.type}`);
  return blob.readUInt32BE(start + entry.offset);
}

/** A field rpm writes for every real package; its absence means the blob is not one. */
function requiredToken(value: string | null, field: string, where: string): string {
  if (value === null) throw corrupt(where, `it has no ${field}`);
  if (!isSaneToken(value)) throw corrupt(where, `its ${field} "${value.slice(0, 64)}" is not a printable token`);
  return value;
}

export function parseRpmHeader(blob: Buffer, where: string): RpmHeaderPackage {
  const { entries, dataStart, dataLength } = readIndex(blob, where);
  const end = dataStart + dataLength;
  const text = (tag: number): string | null => {
    const entry = entries.get(tag);
    return entry ? readString(blob, dataStart, end, entry, where) : null;
  };
  const epochEntry = entries.get(RPMTAG.epoch);
  const arch = text(RPMTAG.arch);
  const sourceRpm = text(RPMTAG.sourceRpm);
  return {
    name: requiredToken(text(RPMTAG.name), 'name', where),
    epoch: epochEntry ? readInt32(blob, dataStart, epochEntry, where) : null,
    version: requiredToken(text(RPMTAG.version), 'version', where),
    release: requiredToken(text(RPMTAG.release), 'release', where),
    arch: arch !== null && isSaneToken(arch) ? arch : null,
    sourceRpm: sourceRpm !== null && isSaneToken(sourceRpm) ? sourceRpm : null,
    files: fileList(blob, dataStart, end, entries, where),
  };
}

/** `openssl-3.0.7-16.el9_2.src.rpm` → its name, version and release; null when it is not that shape. */
export function parseSourceRpm(fileName: string): { name: string; version: string; release: string } | null {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(fileName);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { name: match[1], version: match[2], release: match[3] };
}
