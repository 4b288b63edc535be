import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { OsRelease } from '../../inventory.js';
import { mergeLayers } from '../../layers/image-files.js';
import type { LayerEntry } from '../../layers/layer-reader.js';
import { AnalyserError } from '../analyser.js';
import { rpmAnalyser } from './rpm-analyser.js';
import { rpmEcosystemsOf } from './rpm-ecosystems.js';
import { buildRpmSqlite, packageHeaderBlob } from './rpm-header-blob.js';
import { readRpmSqlite } from './rpmdb-sqlite.js';

const ROCKY_9: OsRelease = { id: 'rocky', versionId: '9.3', prettyName: 'Rocky Linux 9.3 (Blue Onyx)' };
const RHEL_9: OsRelease = { id: 'rhel', versionId: '9.4', prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)' };

const PACKAGES = [
  packageHeaderBlob({ name: 'openssl-libs', epoch: 1, version: '3.0.7', release: '16.el9_2', sourceRpm: 'openssl-3.0.7-16.el9_2.src.rpm' }),
  packageHeaderBlob({ name: 'bash', version: '5.1.8', release: '6.el9_1', sourceRpm: 'bash-5.1.8-6.el9_1.src.rpm' }),
  packageHeaderBlob({ name: 'gpg-pubkey', version: '350d275d', release: '6279464b' }),
  packageHeaderBlob({ name: 'glibc', version: '2.34', release: '60.el9', arch: 'x86_64', sourceRpm: 'glibc-2.34-60.el9.src.rpm' }),
  packageHeaderBlob({ name: 'glibc', version: '2.34', release: '60.el9', arch: 'i686', sourceRpm: 'glibc-2.34-60.el9.src.rpm' }),
];

function filesOf(entries: Record<string, Buffer | { link: string }>) {
  const map = new Map<string, LayerEntry>();
  for (const [path, value] of Object.entries(entries)) map.set(path, Buffer.isBuffer(value) ? { kind: 'file', data: value } : { kind: 'symlink', target: value.link });
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

function analyse(bytes: Buffer, os: OsRelease | null = ROCKY_9, path = 'var/lib/rpm/rpmdb.sqlite') {
  return rpmAnalyser.analyse(filesOf({ [path]: bytes }), os);
}

function failure(bytes: Buffer): string {
  const result = analyse(bytes);
  assert.equal(result.found, true);
  assert.deepEqual(result.packages, []);
  assert.equal(result.notes.length, 1);
  return result.notes[0] ?? '';
}

describe('RPM SQLite database', () => {
  it('inventories every package with epoch:version-release, its source and its file', () => {
    const result = analyse(buildRpmSqlite(PACKAGES));
    assert.deepEqual(result.notes, []);
    assert.deepEqual(result.packages, [
      { ecosystem: 'Rocky Linux:9', name: 'openssl-libs', version: '1:3.0.7-16.el9_2', sourceName: 'openssl', sourceVersion: '1:3.0.7-16.el9_2', path: 'var/lib/rpm/rpmdb.sqlite' },
      { ecosystem: 'Rocky Linux:9', name: 'bash', version: '5.1.8-6.el9_1', sourceName: 'bash', sourceVersion: '5.1.8-6.el9_1', path: 'var/lib/rpm/rpmdb.sqlite' },
      { ecosystem: 'Rocky Linux:9', name: 'glibc', version: '2.34-60.el9', sourceName: 'glibc', sourceVersion: '2.34-60.el9', path: 'var/lib/rpm/rpmdb.sqlite' },
    ]);
  });

  it('reads a database in WAL mode, as rpm leaves it, without touching the image’s bytes', () => {
    const bytes = buildRpmSqlite(PACKAGES);
    bytes[18] = 2;
    bytes[19] = 2;
    assert.equal(analyse(bytes).packages.length, 3);
    assert.equal(bytes[18], 2);
  });

  it('finds the database under usr/lib/sysimage/rpm and through var/lib/rpm linking there', () => {
    const bytes = buildRpmSqlite(PACKAGES);
    assert.equal(analyse(bytes, ROCKY_9, 'usr/lib/sysimage/rpm/rpmdb.sqlite').packages[0]?.path, 'usr/lib/sysimage/rpm/rpmdb.sqlite');
    const linked = rpmAnalyser.analyse(filesOf({ 'usr/lib/sysimage/rpm/rpmdb.sqlite': bytes, 'var/lib/rpm': { link: '../../usr/lib/sysimage/rpm' } }), ROCKY_9);
    assert.equal(linked.packages.length, 3, 'one database, read once');
  });

  it('lists Red Hat packages under the BaseOS and the AppStream stream', () => {
    assert.deepEqual(rpmEcosystemsOf(RHEL_9), ['Red Hat:enterprise_linux:9::baseos', 'Red Hat:enterprise_linux:9::appstream']);
    const result = analyse(buildRpmSqlite(PACKAGES), RHEL_9);
    assert.deepEqual(
      result.packages.filter((p) => p.name === 'bash').map((p) => p.ecosystem),
      ['Red Hat:enterprise_linux:9::baseos', 'Red Hat:enterprise_linux:9::appstream'],
    );
    assert.deepEqual(rpmEcosystemsOf({ id: 'almalinux', versionId: '8.10', prettyName: null }), ['AlmaLinux:8']);
  });

  it('keeps the packages of a distribution OSV has no data for, and names the gap', () => {
    const fedora = analyse(buildRpmSqlite(PACKAGES), { id: 'fedora', versionId: '39', prettyName: 'Fedora Linux 39 (Container Image)' });
    assert.deepEqual(fedora.gap, { distribution: 'Fedora 39', ecosystem: 'Fedora:39', path: 'var/lib/rpm/rpmdb.sqlite', packages: 4 });
    assert.equal(fedora.packages.length, 3);
    assert.deepEqual(fedora.unsettled, ['var/lib/rpm/rpmdb.sqlite']);
    const mariner = analyse(buildRpmSqlite(PACKAGES), { id: 'mariner', versionId: '2.0', prettyName: 'CBL-Mariner/Linux' });
    assert.equal(mariner.gap?.distribution, 'CBL-Mariner 2.0');
    assert.ok(mariner.packages.every((p) => p.ecosystem === 'CBL-Mariner:2.0'));
  });

  it('names the files its packages installed', () => {
    const blob = packageHeaderBlob({ name: 'python3-requests', version: '2.25.1', release: '8.el9', files: ['/usr/lib/python3.9/site-packages/requests', '/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info/PKG-INFO', '/usr/share/doc/python3-requests/README'] });
    assert.deepEqual([...(analyse(buildRpmSqlite([blob]), ROCKY_9).ownedFiles ?? [])], [
      'usr/lib/python3.9/site-packages/requests',
      'usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info/PKG-INFO',
      'usr/share/doc/python3-requests/README',
    ]);
  });

  it('prefers the SQLite database to a BerkeleyDB Packages left beside it by the conversion', () => {
    const stale = Buffer.alloc(4096);
    for (const dir of ['var/lib/rpm', 'usr/lib/sysimage/rpm']) {
      const result = rpmAnalyser.analyse(filesOf({ [`${dir}/rpmdb.sqlite`]: buildRpmSqlite(PACKAGES), 'var/lib/rpm/Packages': stale }), ROCKY_9);
      assert.deepEqual(result.notes, []);
      assert.equal(result.packages.length, 3);
      assert.ok(result.packages.every((p) => p.path === `${dir}/rpmdb.sqlite`));
    }
  });

  it('reads an empty file as an empty database, and finds nothing without one', () => {
    assert.deepEqual(analyse(Buffer.alloc(0)), { found: true, packages: [], notes: [], ownedFiles: [] });
    assert.deepEqual(rpmAnalyser.analyse(filesOf({}), ROCKY_9), { found: false, packages: [], notes: [] });
  });
});

describe('RPM SQLite database, bad input: the analyser fails for the image with a reason', () => {
  it('a truncated file', () => {
    const bytes = buildRpmSqlite(PACKAGES);
    assert.match(failure(bytes.subarray(0, bytes.length - 4096)), /^RPM packages are not reported: var\/lib\/rpm\/rpmdb\.sqlite is not a readable RPM SQLite database: it is truncated: \d+ bytes of the \d+ its header announces$/);
    assert.match(failure(bytes.subarray(0, 50)), /shorter than the 100-byte SQLite header/);
    assert.match(failure(Buffer.from('SQLite format 3\0')), /shorter than the 100-byte SQLite header/);
  });

  it('a file that is not SQLite, or not rpm’s', () => {
    assert.match(failure(Buffer.alloc(8192, 'x')), /does not start with the SQLite magic string/);
    const other = new Database(':memory:');
    other.exec('CREATE TABLE notes (text TEXT)');
    assert.match(failure(other.serialize()), /it has no Packages table/);
    other.close();
  });

  it('a Packages table whose hnum is not the rowid, which would make SQLite sort the whole table', () => {
    const crafted = new Database(':memory:');
    crafted.exec('CREATE TABLE Packages (hnum TEXT, blob BLOB NOT NULL)');
    crafted.prepare('INSERT INTO Packages VALUES (?, ?)').run('1', PACKAGES[0]);
    assert.match(failure(crafted.serialize()), /its Packages table does not have rpm's hnum INTEGER PRIMARY KEY/);
    crafted.close();
  });

  it('a BerkeleyDB Packages that is not one: the image is never reported clean', () => {
    const result = analyse(Buffer.alloc(4096), ROCKY_9, 'var/lib/rpm/Packages');
    assert.deepEqual(result, {
      found: true,
      packages: [],
      notes: ['RPM packages are not reported: var/lib/rpm/Packages is not a readable RPM BerkeleyDB database: it does not start with a BerkeleyDB metadata page (no hash magic number)'],
      unsettled: ['var/lib/rpm/Packages'],
    });
  });

  it('a header blob that is corrupt, or not a blob at all', () => {
    const corrupt = Buffer.from(PACKAGES[1] as Buffer);
    corrupt.writeUInt32BE(99, 8 + 4);
    assert.match(failure(buildRpmSqlite([PACKAGES[0] as Buffer, corrupt])), /var\/lib\/rpm\/rpmdb\.sqlite, package 2, is a corrupt RPM header: tag 1000 has the unknown type 99/);
    const text = new Database(':memory:');
    text.exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob); INSERT INTO Packages VALUES (1, 'text')");
    assert.match(failure(text.serialize()), /package 1 has a string blob, not a header/);
    text.close();
  });

  it('damaged pages: every failure is a clear AnalyserError, never a crash', () => {
    const bytes = buildRpmSqlite(Array.from({ length: 200 }, (_, i) => packageHeaderBlob({ name: `pkg-${i}`, version: '1.0', release: `${i}.el9` })));
    let seed = 11;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let failed = 0;
    for (let round = 0; round < 150; round++) {
      const copy = Buffer.from(bytes);
      const page = 1 + Math.floor(random() * (copy.length / 4096 - 1));
      for (let i = 0; i < 16; i++) copy[page * 4096 + Math.floor(random() * 4096)] = Math.floor(random() * 256);
      try {
        const packages = readRpmSqlite(copy, 'db');
        assert.ok(packages.length <= 200);
      } catch (err) {
        assert.ok(err instanceof AnalyserError, String(err));
        failed++;
      }
    }
    assert.ok(failed > 0, 'some damage is detected');
  });
});
