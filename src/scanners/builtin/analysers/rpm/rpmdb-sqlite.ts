import Database from 'better-sqlite3';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE } from '../analyser.js';
import { parseRpmHeader, type RpmHeaderPackage } from './rpm-header.js';

/**
 * rpm's SQLite database (rpm ≥ 4.16: Fedora 33+, RHEL, Rocky and Alma 9, Amazon Linux
 * 2023): a `Packages` table whose `blob` column holds each installed package's header.
 * The file is opened from memory, never written: its size is already bounded by the
 * layer reader's per-file cap.
 */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

function unreadable(path: string, why: string): AnalyserError {
  return new AnalyserError(`${path} is not a readable RPM SQLite database: ${why}`);
}

/**
 * The database header's own size check (sqlite.org/fileformat.html §1.3): the page size
 * times the page count, when the count is valid, is the file's length. A shorter file
 * has lost its end.
 */
function checkLength(bytes: Buffer, path: string): void {
  if (bytes.length < HEADER_BYTES) throw unreadable(path, `${bytes.length} bytes, shorter than the 100-byte SQLite header`);
  if (!bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) throw unreadable(path, 'it does not start with the SQLite magic string');
  const rawPageSize = bytes.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pageCount = bytes.readUInt32BE(28);
  const countIsValid = pageCount > 0 && bytes.readUInt32BE(24) === bytes.readUInt32BE(92);
  if (countIsValid && pageSize * pageCount > bytes.length) {
    throw unreadable(path, `it is truncated: ${bytes.length} bytes of the ${pageSize * pageCount} its header announces`);
  }
}

/**
 * A copy of the file that SQLite opens from memory. rpm keeps its database in WAL mode
 * (header bytes 18 and 19 set to 2), which SQLite cannot open from memory; any WAL
 * content is checkpointed when rpm closes the database, so the copy is marked as a
 * rollback-journal database instead.
 */
function memoryCopy(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  return copy;
}

function sqliteMessage(err: unknown): string | null {
  if (err instanceof Database.SqliteError) return `${err.code}: ${err.message}`;
  return null;
}

/** Every package header of the database, parsed and checked; an empty file is an empty database. */
export function readRpmSqlite(bytes: Buffer, path: string): RpmHeaderPackage[] {
  if (bytes.length === 0) return [];
  checkLength(bytes, path);
  let db: Database.Database;
  try {
    db = new Database(memoryCopy(bytes), { readonly: true });
  } catch (err) {
    const message = sqliteMessage(err);
    if (message === null) throw err;
    throw unreadable(path, message);
  }
  try {
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw unreadable(path, `SQLite's integrity check says ${String(check).slice(0, 200)}`);
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'Packages'").get();
    if (!table) throw unreadable(path, 'it has no Packages table');
    // rpm declares hnum the rowid (INTEGER PRIMARY KEY): then the ORDER BY below walks the
    // table's own b-tree. Any other declaration would make SQLite sort the whole table in
    // a temporary file, an unbounded cost a crafted database could ask for.
    const hnum = (db.pragma('table_info(Packages)') as { name?: unknown; type?: unknown; pk?: unknown }[]).find((column) => column.name === 'hnum');
    if (!hnum || String(hnum.type).toUpperCase() !== 'INTEGER' || hnum.pk !== 1) throw unreadable(path, 'its Packages table does not have rpm\'s hnum INTEGER PRIMARY KEY');
    const packages: RpmHeaderPackage[] = [];
    for (const row of db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').iterate() as Iterable<unknown>) {
      const { hnum, blob } = checkRow(row, path);
      if (packages.length >= MAX_PACKAGES_PER_DATABASE) throw unreadable(path, `it lists more than ${MAX_PACKAGES_PER_DATABASE} packages`);
      packages.push(parseRpmHeader(blob, `${path}, package ${hnum},`));
    }
    return packages;
  } catch (err) {
    const message = sqliteMessage(err);
    if (message === null) throw err;
    throw unreadable(path, message);
  } finally {
    db.close();
  }
}

function checkRow(row: unknown, path: string): { hnum: number; blob: Buffer } {
  const { hnum, blob } = (row ?? {}) as { hnum?: unknown; blob?: unknown };
  if (typeof hnum !== 'number' || !Number.isSafeInteger(hnum)) throw unreadable(path, 'a Packages row has no integer hnum');
  if (!Buffer.isBuffer(blob)) throw unreadable(path, `package ${hnum} has a ${blob === null ? 'null' : typeof blob} blob, not a header`);
  return { hnum, blob };
}
