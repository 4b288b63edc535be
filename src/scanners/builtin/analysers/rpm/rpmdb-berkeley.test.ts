import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { buildRpmDatabase, toolWorks, warnToolMissing } from '../../../../../test/support/ecosystem-packages.js';
import type { OsRelease } from '../../inventory.js';
import { mergeLayers } from '../../layers/image-files.js';
import type { LayerEntry } from '../../layers/layer-reader.js';
import { AnalyserError } from '../analyser.js';
import type { RpmHeaderPackage } from './rpm-header.js';
import { packageHeaderBlob } from './rpm-header-blob.js';
import { rpmAnalyser } from './rpm-analyser.js';
import { readBerkeleyHash, readRpmBerkeley, type BerkeleyHashDatabase } from './rpmdb-berkeley.js';

/**
 * BerkeleyDB files written by Berkeley DB itself (`db_load`), holding header blobs that
 * rpm itself wrote (`rpmbuild`, then `rpm -i --justdb` into a SQLite database): the
 * reader must give back exactly what rpm stored, and what rpm itself reads.
 */

const DB_LOAD = ['db5.3_load', 'db_load'].find((tool) => toolWorks(tool, ['-V'])) ?? null;
const RPM_INSTALLED = toolWorks('rpmbuild') && toolWorks('rpm');
if (!DB_LOAD) warnToolMissing('db_load', 'apt-get install db5.3-util', 'the BerkeleyDB tests of rpmdb-berkeley.test.ts');
if (!RPM_INSTALLED) warnToolMissing('rpm', 'apt-get install rpm', 'the BerkeleyDB tests with real rpm headers of rpmdb-berkeley.test.ts');

const ROCKY_8: OsRelease = { id: 'rocky', versionId: '8.9', prettyName: 'Rocky Linux 8.9 (Green Obsidian)' };
const P_OVERFLOW = 7;
const P_HASH = 13;

interface Row {
  hnum: number;
  blob: Buffer;
}

const scratch = mkdtempSync(join(tmpdir(), 'rpmdb-berkeley-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchFiles = 0;

function scratchDir(): string {
  const dir = join(scratch, String(scratchFiles++));
  mkdirSync(dir);
  return dir;
}

function keyOf(hnum: number, littleEndian = true): Buffer {
  const key = Buffer.alloc(4);
  if (littleEndian) key.writeUInt32LE(hnum);
  else key.writeUInt32BE(hnum);
  return key;
}

/** rpm's own records: each header under its number, and under key 0 the highest number given out. */
function rpmRecords(rows: readonly Row[], littleEndian = true): { key: Buffer; value: Buffer }[] {
  const highest = Math.max(0, ...rows.map((row) => row.hnum));
  return [{ key: keyOf(0), value: keyOf(highest, littleEndian) }, ...rows.map((row) => ({ key: keyOf(row.hnum, littleEndian), value: row.blob }))];
}

/** A database file written by Berkeley DB's `db_load` from a `db_dump`-format listing of the records. */
function dbLoad(records: readonly { key: Buffer; value: Buffer }[], options: readonly string[] = [], type: 'hash' | 'btree' = 'hash'): Buffer {
  assert.ok(DB_LOAD);
  const dir = scratchDir();
  const lines = ['VERSION=3', 'format=bytevalue', `type=${type}`, 'HEADER=END'];
  for (const { key, value } of records) lines.push(` ${key.toString('hex')}`, ` ${value.toString('hex')}`);
  lines.push('DATA=END');
  writeFileSync(join(dir, 'dump.txt'), `${lines.join('\n')}\n`);
  const args = ['-t', type, '-f', join(dir, 'dump.txt'), ...options.flatMap((option) => ['-c', option]), join(dir, 'Packages')];
  const result = spawnSync(DB_LOAD, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${DB_LOAD} ${args.join(' ')}: ${result.stderr}`);
  return readFileSync(join(dir, 'Packages'));
}

/**
 * How rpm itself lists the packages of a database directory, one line a package, in the
 * order of their header numbers (which rpm reads from the keys).
 */
const QUERY_FORMAT = '%{DBINSTANCE} %{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM}\\n';

function rpmQuery(dbPath: string): { lines: string[]; stderr: string; status: number | null } {
  const result = spawnSync('rpm', ['-qa', '--dbpath', dbPath, '--qf', QUERY_FORMAT], { encoding: 'utf8' });
  const numbered = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ hnum: Number(line.split(' ')[0]), line: line.slice(line.indexOf(' ') + 1) }));
  return { lines: numbered.sort((a, b) => a.hnum - b.hnum).map(({ line }) => line), stderr: result.stderr, status: result.status };
}

function linesOf(packages: readonly RpmHeaderPackage[]): string[] {
  return packages.map((pkg) => [pkg.name, pkg.epoch ?? '(none)', pkg.version, pkg.release, pkg.arch ?? '(none)', pkg.sourceRpm ?? '(none)'].join(' '));
}

function filesOf(entries: Record<string, Buffer>) {
  const map = new Map<string, LayerEntry>(Object.entries(entries).map(([path, data]) => [path, { kind: 'file', data }]));
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

function valuesByHeaderNumber(database: BerkeleyHashDatabase): Map<number, Buffer> {
  return new Map(database.records.map(({ key, value }) => [database.littleEndian ? key.readUInt32LE(0) : key.readUInt32BE(0), value]));
}

function unreadable(bytes: Buffer, reason: RegExp, path = 'var/lib/rpm/Packages'): void {
  assert.throws(
    () => readRpmBerkeley(bytes, path),
    (err: unknown) => {
      assert.ok(err instanceof AnalyserError, String(err));
      assert.match(err.message, new RegExp(`^${path.replaceAll('/', '\\/')} is not a readable RPM BerkeleyDB database: `));
      assert.match(err.message, reason);
      return true;
    },
  );
}

/** The numbers of the pages of a given type, read straight from a little-endian file's page headers. */
function pagesOfType(file: Buffer, pageSize: number, type: number): number[] {
  const pages: number[] = [];
  for (let pgno = 1; pgno < file.length / pageSize; pgno++) if (file[pgno * pageSize + 25] === type) pages.push(pgno);
  return pages;
}

function withU32(file: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(file);
  copy.writeUInt32LE(value, at);
  return copy;
}

describe('RPM BerkeleyDB database: real rpm headers in files Berkeley DB wrote', { skip: (!DB_LOAD && 'db_load not installed') || (!RPM_INSTALLED && 'rpm not installed') }, () => {
  let rows: Row[] = [];
  let rpmLines: string[] = [];

  before(async () => {
    const sqlite = await buildRpmDatabase([
      { name: 'openssl', epoch: 1, version: '3.0.7', release: '16.el8_9', subpackages: ['openssl-libs', 'openssl-devel', 'openssl-perl'], filesPerPackage: 3 },
      // Enough files for a header of some 40 kB: larger than a quarter of the largest page.
      { name: 'bash', version: '4.4.20', release: '4.el8_6', filesPerPackage: 300 },
      { name: 'tzdata', version: '2023c', release: '1.el8' },
    ]);
    const dir = scratchDir();
    writeFileSync(join(dir, 'rpmdb.sqlite'), sqlite);
    const db = new Database(join(dir, 'rpmdb.sqlite'), { readonly: true });
    rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as Row[];
    db.close();
    const query = rpmQuery(dir);
    assert.equal(query.status, 0, query.stderr);
    rpmLines = query.lines;
    assert.equal(rpmLines.length, 6);
  });

  function assertSameAsRpm(file: Buffer, littleEndian = true): BerkeleyHashDatabase {
    const database = readBerkeleyHash(file, 'Packages', 1000);
    assert.equal(database.littleEndian, littleEndian);
    const values = valuesByHeaderNumber(database);
    assert.equal(values.size, rows.length + 1, 'every package and the record under key 0');
    for (const row of rows) assert.ok(values.get(row.hnum)?.equals(row.blob), `header ${row.hnum} comes back byte for byte`);
    assert.deepEqual(linesOf(readRpmBerkeley(file, 'Packages')), rpmLines);
    return database;
  }

  it('512-byte pages: every header is reassembled from a chain of overflow pages', () => {
    const file = dbLoad(rpmRecords(rows), ['db_pagesize=512']);
    const database = assertSameAsRpm(file);
    assert.equal(database.pageSize, 512);
    assert.ok(rows.every((row) => row.blob.length > 2 * 512), 'each header spans several pages');
    assert.equal(database.stats.overflowValues, rows.length);
    assert.equal(database.stats.inlineValues, 1, 'only key 0’s 4-byte counter stays on its page');
    assert.ok(database.stats.overflowPages > rows.length * 2);
  });

  it('4096-byte pages, as rpm usually writes them', () => {
    assert.equal(assertSameAsRpm(dbLoad(rpmRecords(rows), ['db_pagesize=4096'])).pageSize, 4096);
  });

  it('65536-byte pages: small headers stay on their hash page, the large one goes to overflow pages', () => {
    const database = assertSameAsRpm(dbLoad(rpmRecords(rows), ['db_pagesize=65536']));
    assert.equal(database.pageSize, 65536);
    assert.equal(database.stats.overflowValues, 1);
    assert.equal(database.stats.inlineValues, rows.length);
  });

  it('a big-endian file (as rpm writes on s390x), keys in the same order', () => {
    const database = assertSameAsRpm(dbLoad(rpmRecords(rows, false), ['db_pagesize=512', 'db_lorder=4321']), false);
    assert.equal(database.stats.overflowValues, rows.length);
  });

  it('many buckets: the spares table maps every bucket to its page', () => {
    const database = assertSameAsRpm(dbLoad(rpmRecords(rows), ['db_pagesize=512', 'h_ffactor=1']));
    assert.ok(database.stats.buckets >= 4, `${database.stats.buckets} buckets`);
  });

  it('pages with checksums, whose contents start 6 bytes later', () => {
    assert.equal(assertSameAsRpm(dbLoad(rpmRecords(rows), ['db_pagesize=512', 'chksum=1'])).checksummed, true);
  });

  it('rpm’s own read-only BerkeleyDB reader lists the same packages from the same files', (t: TestContext) => {
    for (const [littleEndian, options] of [
      [true, ['db_pagesize=512']],
      [false, ['db_pagesize=4096', 'db_lorder=4321']],
    ] as const) {
      const file = dbLoad(rpmRecords(rows, littleEndian), options);
      const dir = scratchDir();
      writeFileSync(join(dir, 'Packages'), file);
      const query = rpmQuery(dir);
      if (!query.stderr.includes('bdb_ro')) {
        t.skip('rpm was built without its read-only BerkeleyDB backend (bdb_ro, rpm ≥ 4.16)');
        return;
      }
      assert.equal(query.status, 0, query.stderr);
      assert.deepEqual(query.lines, rpmLines);
      assert.deepEqual(linesOf(readRpmBerkeley(file, 'Packages')), query.lines);
    }
  });

  it('the rpm analyser inventories var/lib/rpm/Packages and usr/lib/sysimage/rpm/Packages', () => {
    const file = dbLoad(rpmRecords(rows), ['db_pagesize=4096']);
    const result = rpmAnalyser.analyse(filesOf({ 'var/lib/rpm/Packages': file }), ROCKY_8);
    assert.deepEqual(result.notes, []);
    const libs = result.packages.find((p) => p.name === 'openssl-libs');
    assert.deepEqual(libs, { ecosystem: 'Rocky Linux:8', name: 'openssl-libs', version: '1:3.0.7-16.el8_9', sourceName: 'openssl', sourceVersion: '1:3.0.7-16.el8_9', path: 'var/lib/rpm/Packages' });
    assert.deepEqual(result.packages.map((p) => p.name).sort(), rpmLines.map((line) => line.split(' ')[0] ?? '').sort());
    const sysimage = rpmAnalyser.analyse(filesOf({ 'usr/lib/sysimage/rpm/Packages': file }), ROCKY_8);
    assert.equal(sysimage.packages.length, rows.length);
    assert.ok(sysimage.packages.every((p) => p.path === 'usr/lib/sysimage/rpm/Packages'));
  });

  describe('bad input: a clear AnalyserError naming the file, never a crash or a hang', () => {
    let small: Buffer;
    before(() => {
      small = dbLoad(rpmRecords(rows), ['db_pagesize=512']);
    });

    it('a truncated file', () => {
      unreadable(small.subarray(0, small.length - 512), /^[^:]+: it is truncated: \d+ bytes of the \d+ pages of 512 bytes its metadata announces$/);
      unreadable(small.subarray(0, small.length - 100), /it is truncated/);
      unreadable(small.subarray(0, 300), /300 bytes, shorter than a 512-byte BerkeleyDB metadata page/);
    });

    it('garbage, zeros, or a file that is not BerkeleyDB', () => {
      unreadable(Buffer.alloc(4096), /it does not start with a BerkeleyDB metadata page/);
      unreadable(Buffer.from('SQLite format 3\0'.padEnd(4096, 'x')), /it does not start with a BerkeleyDB metadata page/);
      let seed = 7;
      const random = Buffer.from(Array.from({ length: 8192 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256));
      unreadable(random, /it does not start with a BerkeleyDB metadata page/);
    });

    it('a Btree database, which rpm never writes for Packages, is reported as not supported', () => {
      unreadable(dbLoad(rpmRecords(rows), [], 'btree'), /it is a Btree BerkeleyDB database, and rpm keeps its packages in a Hash one: this format is not supported/);
    });

    it('a page number past the end of the file', () => {
      const chained = pagesOfType(small, 512, P_OVERFLOW).find((pgno) => small.readUInt32LE(pgno * 512 + 16) !== 0);
      assert.ok(chained !== undefined);
      const lastPage = small.readUInt32LE(32);
      unreadable(withU32(small, chained * 512 + 16, lastPage + 9), new RegExp(`overflow page ${chained} points to page ${lastPage + 9}, past the end of the file \\(its last page is ${lastPage}\\)`));
      unreadable(withU32(small, 96, 5000), /bucket 0 points to page 5000, past the end of the file/);
      unreadable(withU32(small, 72, 0xffffff), /it announces 16777216 buckets in \d+ pages/);
    });

    it('an overflow chain that loops, or two values sharing one', () => {
      const chained = pagesOfType(small, 512, P_OVERFLOW).find((pgno) => small.readUInt32LE(pgno * 512 + 16) !== 0);
      assert.ok(chained !== undefined);
      unreadable(withU32(small, chained * 512 + 16, chained), new RegExp(`overflow page ${chained} points to page ${chained}, which is already read: the chain loops or is shared`));
      const next = small.readUInt32LE(chained * 512 + 16);
      unreadable(withU32(small, next * 512 + 16, chained), /which is already read: the chain loops or is shared|its overflow chain runs on past/);
    });

    it('an overflow chain that ends early or says too much, and items outside their page', () => {
      const last = pagesOfType(small, 512, P_OVERFLOW).find((pgno) => small.readUInt32LE(pgno * 512 + 16) === 0);
      assert.ok(last !== undefined);
      const copy = Buffer.from(small);
      copy.writeUInt16LE(600, last * 512 + 22);
      unreadable(copy, new RegExp(`overflow page ${last} holds 600 bytes, which do not fit its page or its value`));
      const hashPage = pagesOfType(small, 512, P_HASH)[0];
      assert.ok(hashPage !== undefined);
      const outside = Buffer.from(small);
      outside.writeUInt16LE(3, hashPage * 512 + 26);
      unreadable(outside, new RegExp(`page ${hashPage}, item 0, lies at offset 3, outside the page's item area`));
      const odd = Buffer.from(small);
      odd.writeUInt16LE(odd.readUInt16LE(hashPage * 512 + 20) + 1, hashPage * 512 + 20);
      unreadable(odd, /items, not key and value pairs/);
    });

    it('a header blob that is corrupt names its package by its header number, in either byte order', () => {
      const corrupt = Buffer.from(rows[1]?.blob ?? Buffer.alloc(0));
      corrupt.writeUInt32BE(99, 8 + 4);
      const damaged = rows.map((row, i) => (i === 1 ? { hnum: row.hnum, blob: corrupt } : row));
      for (const [littleEndian, options] of [
        [true, ['db_pagesize=512']],
        [false, ['db_pagesize=512', 'db_lorder=4321']],
      ] as const) {
        const file = dbLoad(rpmRecords(damaged, littleEndian), options);
        assert.throws(
          () => readRpmBerkeley(file, 'var/lib/rpm/Packages'),
          (err: unknown) => err instanceof AnalyserError && new RegExp(`^var/lib/rpm/Packages, package ${rows[1]?.hnum}, is a corrupt RPM header: tag \\d+ has the unknown type 99$`).test(err.message),
        );
      }
    });

    it('the analyser fails for the image with the reason, never reports it clean', () => {
      const result = rpmAnalyser.analyse(filesOf({ 'var/lib/rpm/Packages': small.subarray(0, small.length - 512) }), ROCKY_8);
      assert.equal(result.found, true);
      assert.deepEqual(result.packages, []);
      assert.equal(result.notes.length, 1);
      assert.match(result.notes[0] ?? '', /^RPM packages are not reported: var\/lib\/rpm\/Packages is not a readable RPM BerkeleyDB database: it is truncated/);
    });

    it('random damage to pages: every failure is a clear AnalyserError, fast', () => {
      let seed = 3;
      const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const pages = small.length / 512;
      let failed = 0;
      const started = performance.now();
      for (let round = 0; round < 400; round++) {
        const copy = Buffer.from(small);
        const page = 1 + Math.floor(random() * (pages - 1));
        for (let i = 0; i < 8; i++) copy[page * 512 + Math.floor(random() * 512)] = Math.floor(random() * 256);
        try {
          assert.ok(readRpmBerkeley(copy, 'db').length <= rows.length);
        } catch (err) {
          assert.ok(err instanceof AnalyserError, String(err));
          failed++;
        }
      }
      assert.ok(failed > 100, `${failed} of 400 damaged files detected`);
      assert.ok(performance.now() - started < 5000);
    });
  });
});

describe('RPM BerkeleyDB database: bucket chains and many records', { skip: !DB_LOAD && 'db_load not installed' }, () => {
  const COUNT = 3000;
  const blobs = Array.from({ length: COUNT }, (_, i) =>
    packageHeaderBlob({ name: `pkg-${i}`, version: `1.${i % 97}`, release: `${i}.el8`, sourceRpm: `pkg-${i}-1.${i % 97}-${i}.el8.src.rpm` }),
  );
  const rows = blobs.map((blob, i) => ({ hnum: i + 1, blob }));

  it('reads thousands of records from buckets that run over several hash pages', () => {
    const file = dbLoad(rpmRecords(rows), ['db_pagesize=512', 'h_ffactor=200']);
    const database = readBerkeleyHash(file, 'Packages', COUNT + 1);
    assert.equal(database.records.length, COUNT + 1);
    assert.ok(database.stats.hashPages > database.stats.buckets, `${database.stats.hashPages} hash pages for ${database.stats.buckets} buckets`);
    const packages = readRpmBerkeley(file, 'Packages');
    assert.equal(packages.length, COUNT);
    assert.deepEqual(packages[41], { name: 'pkg-41', epoch: null, version: '1.41', release: '41.el8', arch: 'x86_64', sourceRpm: 'pkg-41-1.41-41.el8.src.rpm', files: [] });
    assert.deepEqual(
      packages.map((p) => p.name),
      rows.map((_, i) => `pkg-${i}`),
      'in header-number order',
    );
  });

  it('a bucket chain that loops, and more records than the bound', () => {
    const file = dbLoad(rpmRecords(rows), ['db_pagesize=512', 'h_ffactor=200']);
    const chained = pagesOfType(file, 512, P_HASH).find((pgno) => file.readUInt32LE(pgno * 512 + 16) !== 0);
    assert.ok(chained !== undefined);
    unreadable(withU32(file, chained * 512 + 16, chained), new RegExp(`hash page ${chained} points to page ${chained}, which is already read: the chain loops or is shared`));
    assert.throws(() => readBerkeleyHash(file, 'Packages', 100), /^AnalyserError: Packages is not a readable RPM BerkeleyDB database: it holds more than 100 records$/);
  });

  it('records rpm never writes: duplicate values, keys that are not header numbers', () => {
    const duplicates = dbLoad(
      [
        { key: keyOf(1), value: blobs[0] as Buffer },
        { key: keyOf(1), value: blobs[1] as Buffer },
      ],
      ['duplicates=1'],
    );
    unreadable(duplicates, /page \d+, item 1, holds duplicate values, which an rpm database never has/);
    unreadable(dbLoad([{ key: Buffer.from('abc'), value: blobs[0] as Buffer }]), /a record has a 3-byte key, not a 4-byte header number/);
  });

  it('a bucket whose page Berkeley DB never wrote is empty; a page of zeros inside a chain is not', () => {
    const file = dbLoad(rpmRecords(rows.slice(0, 1)).slice(1), ['db_pagesize=512']);
    const database = readBerkeleyHash(file, 'Packages', 10);
    assert.equal(database.stats.emptyBuckets, 1, 'of the two buckets a new database starts with, one is never written');
    assert.deepEqual(readRpmBerkeley(file, 'Packages').map((p) => p.name), ['pkg-0']);
    const chained = dbLoad(rpmRecords(rows), ['db_pagesize=512', 'h_ffactor=200']);
    const from = pagesOfType(chained, 512, P_HASH).find((pgno) => chained.readUInt32LE(pgno * 512 + 16) !== 0);
    assert.ok(from !== undefined);
    const next = chained.readUInt32LE(from * 512 + 16);
    const zeroed = Buffer.from(chained);
    zeroed.fill(0, next * 512, (next + 1) * 512);
    unreadable(zeroed, new RegExp(`hash page ${from} points to page ${next}, which has type 0, not a hash page`));
  });

  it('an empty file is an empty database; a database of key 0 alone lists no package', () => {
    assert.deepEqual(readRpmBerkeley(Buffer.alloc(0), 'Packages'), []);
    assert.deepEqual(readRpmBerkeley(dbLoad(rpmRecords([])), 'Packages'), []);
  });
});
