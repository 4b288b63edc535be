import Database from 'better-sqlite3';
import { RPM_TYPE, RPMTAG } from './rpm-header.js';

/**
 * Writes RPM header blobs in the layout the package database stores, the inverse of
 * `parseRpmHeader`: for tests and benchmarks that need headers without rpm at hand, and
 * for building deliberately corrupt ones.
 */

export type HeaderValue = { tag: number; string: string } | { tag: number; int32: number } | { tag: number; type: number; raw: Buffer; count: number };

export function buildRpmHeaderBlob(values: readonly HeaderValue[]): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let length = 0;
  for (const value of values) {
    let type: number;
    let bytes: Buffer;
    let count = 1;
    if ('string' in value) {
      type = RPM_TYPE.string;
      bytes = Buffer.concat([Buffer.from(value.string, 'utf8'), Buffer.from([0])]);
    } else if ('int32' in value) {
      type = RPM_TYPE.int32;
      const padding = (4 - (length % 4)) % 4;
      data.push(Buffer.alloc(padding));
      length += padding;
      bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value.int32);
    } else {
      type = value.type;
      bytes = value.raw;
      count = value.count;
      if (type === RPM_TYPE.int32) {
        const padding = (4 - (length % 4)) % 4;
        data.push(Buffer.alloc(padding));
        length += padding;
      }
    }
    const entry = Buffer.alloc(16);
    entry.writeInt32BE(value.tag, 0);
    entry.writeUInt32BE(type, 4);
    entry.writeInt32BE(length, 8);
    entry.writeUInt32BE(count, 12);
    index.push(entry);
    data.push(bytes);
    length += bytes.length;
  }
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(values.length, 0);
  counts.writeUInt32BE(length, 4);
  return Buffer.concat([counts, ...index, ...data]);
}

export interface PackageFields {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  /** Absolute paths the package installed, written as rpm does: directory names, base names, directory indexes. */
  files?: readonly string[];
}

/** The header of an installed package with the fields an inventory reads. */
export function packageHeaderBlob(fields: PackageFields): Buffer {
  const values: HeaderValue[] = [
    { tag: RPMTAG.name, string: fields.name },
    { tag: RPMTAG.version, string: fields.version },
    { tag: RPMTAG.release, string: fields.release },
  ];
  if (fields.epoch !== undefined) values.push({ tag: RPMTAG.epoch, int32: fields.epoch });
  values.push({ tag: RPMTAG.arch, string: fields.arch ?? 'x86_64' });
  if (fields.sourceRpm !== undefined) values.push({ tag: RPMTAG.sourceRpm, string: fields.sourceRpm });
  if (fields.files && fields.files.length > 0) values.push(...fileListValues(fields.files));
  return buildRpmHeaderBlob(values);
}

function fileListValues(files: readonly string[]): HeaderValue[] {
  const dirs: string[] = [];
  const indexes = Buffer.alloc(4 * files.length);
  const bases: string[] = [];
  files.forEach((path, i) => {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    if (!dirs.includes(dir)) dirs.push(dir);
    indexes.writeUInt32BE(dirs.indexOf(dir), 4 * i);
    bases.push(path.slice(slash + 1));
  });
  const strings = (list: readonly string[]): Buffer => Buffer.concat(list.map((text) => Buffer.from(`${text}\0`, 'utf8')));
  return [
    { tag: RPMTAG.dirIndexes, type: RPM_TYPE.int32, raw: indexes, count: files.length },
    { tag: RPMTAG.baseNames, type: RPM_TYPE.stringArray, raw: strings(bases), count: bases.length },
    { tag: RPMTAG.dirNames, type: RPM_TYPE.stringArray, raw: strings(dirs), count: dirs.length },
  ];
}

/**
 * An rpm SQLite database holding `blobs` in its Packages table, created as rpm creates it
 * (`hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL`), as file bytes.
 */
export function buildRpmSqlite(blobs: readonly Buffer[]): Buffer {
  const db = new Database(':memory:');
  try {
    db.exec("CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    db.transaction(() => {
      for (const blob of blobs) insert.run(blob);
    })();
    return db.serialize();
  } finally {
    db.close();
  }
}
