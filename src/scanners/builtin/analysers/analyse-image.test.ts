import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildImage, buildLayer, type BuiltImage } from '../../../../test/support/image-builder.js';
import { ALPINE_319_OS_RELEASE, ALPINE_INSTALLED, DEBIAN_12_OS_RELEASE, DEBIAN_STATUS, FEDORA_39_OS_RELEASE } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { normaliseEntryPath } from '../layers/entry-path.js';
import type { BlobOpener } from '../layers/read-image.js';
import { analyseFiles, analyseImage } from './analyse-image.js';
import { PACKAGE_ANALYSERS, analyserVersions, pathPatternsFor } from './registry.js';

function filesOf(entries: Record<string, string | null>) {
  const map = new Map<string, LayerEntry>(
    Object.entries(entries).map(([path, text]) => [path, text === null ? { kind: 'present' } : { kind: 'file', data: Buffer.from(text) }]),
  );
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

describe('every registered analyser', () => {
  it('has a unique name and a version, which make up the inventory cache key', () => {
    const names = PACKAGE_ANALYSERS.map((analyser) => analyser.name);
    assert.equal(new Set(names).size, names.length);
    for (const analyser of PACKAGE_ANALYSERS) assert.match(analyser.version, /^\S+$/, analyser.name);
    assert.deepEqual(Object.keys(analyserVersions(PACKAGE_ANALYSERS)).sort(), ['os-release', ...names].sort());
  });

  it('asks for normalised image paths, exact or dir/*', () => {
    for (const analyser of PACKAGE_ANALYSERS) {
      assert.ok(analyser.paths.length > 0, analyser.name);
      for (const path of analyser.paths) {
        const plain = path.endsWith('/*') ? path.slice(0, -2) : path;
        assert.equal(normaliseEntryPath(plain), plain, `${analyser.name}: ${path}`);
        assert.ok(pathPatternsFor(PACKAGE_ANALYSERS).keep.includes(path));
      }
    }
  });

  it('finds nothing in an empty image and something (with no packages) in an empty database', () => {
    for (const analyser of PACKAGE_ANALYSERS) {
      assert.deepEqual(analyser.analyse(filesOf({}), null), { found: false, packages: [], notes: [] }, analyser.name);
      const exact = analyser.paths.find((path) => !path.endsWith('/*'));
      if (!exact) continue;
      const result = analyser.analyse(filesOf({ [exact]: '' }), { id: 'debian', versionId: '12', prettyName: null });
      assert.equal(result.found, true, analyser.name);
      assert.deepEqual(result.packages, [], analyser.name);
    }
  });
});

describe('analyseFiles', () => {
  it('inventories a Debian image in a stable order with nothing unsupported', () => {
    const inventory = analyseFiles(filesOf({ 'etc/os-release': DEBIAN_12_OS_RELEASE, 'var/lib/dpkg/status': DEBIAN_STATUS }));
    assert.deepEqual(inventory.os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    assert.deepEqual(
      inventory.packages.map((p) => p.name),
      ['bsdutils', 'libbz2-1.0', 'libc6', 'libssl3', 'openssl', 'zlib1g'],
    );
    assert.deepEqual(inventory.unsupported, []);
    assert.deepEqual(inventory.analysers, { 'os-release': '1', dpkg: '2', apk: '2', rpm: '3', npm: '2', python: '2' });
  });

  it('inventories an Alpine image', () => {
    const inventory = analyseFiles(filesOf({ 'etc/os-release': ALPINE_319_OS_RELEASE, 'lib/apk/db/installed': ALPINE_INSTALLED }));
    assert.equal(inventory.packages.length, 5);
    assert.ok(inventory.packages.every((p) => p.ecosystem === 'Alpine:v3.19'));
  });

  it('says an RPM database in NDB format is not analysed instead of reporting the image clean', () => {
    const inventory = analyseFiles(filesOf({ 'etc/os-release': FEDORA_39_OS_RELEASE, 'usr/lib/sysimage/rpm/Packages.db': null }));
    assert.equal(inventory.os?.id, 'fedora');
    assert.deepEqual(inventory.packages, []);
    assert.deepEqual(inventory.unsupported, [
      'RPM package database in NDB format (package database format not supported) (usr/lib/sysimage/rpm/Packages.db) is not analysed yet: its packages are not reported',
    ]);
  });

  it('says when no OS and no package database could be identified', () => {
    const inventory = analyseFiles(filesOf({}));
    assert.equal(inventory.os, null);
    assert.deepEqual(inventory.unsupported, [
      'no operating system identified: the image has no etc/os-release or usr/lib/os-release',
      'no package database found that an analyser reads',
    ]);
  });

  it('keeps the packages of a distribution OSV has no advisories for, and names the gap', () => {
    const mariner = 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20240123"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n';
    const inventory = analyseFiles(filesOf({ 'etc/os-release': mariner, 'var/lib/dpkg/status': DEBIAN_STATUS }));
    assert.equal(inventory.packages.length, 6);
    assert.ok(inventory.packages.every((p) => p.ecosystem === 'CBL-Mariner:2.0'));
    assert.deepEqual(inventory.advisoryGaps, [{ distribution: 'CBL-Mariner 2.0', ecosystem: 'CBL-Mariner:2.0', path: 'var/lib/dpkg/status', packages: 6 }]);
    assert.deepEqual(inventory.unsettled, ['var/lib/dpkg/status']);
  });

  it('leaves out language packages whose files the OS package database installed, and keeps the others', () => {
    const metadata = (name: string, version: string): string => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;
    const inventory = analyseFiles(
      filesOf({
        'etc/os-release': DEBIAN_12_OS_RELEASE,
        'var/lib/dpkg/status': DEBIAN_STATUS,
        'var/lib/dpkg/info/python3-requests.list': '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO\n',
        'var/lib/dpkg/info/node-ms.list': '/usr/share/nodejs/node_modules/ms/package.json\n',
        'usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO': metadata('requests', '2.28.1'),
        'usr/share/nodejs/node_modules/ms/package.json': '{"name":"ms","version":"2.1.3"}',
        'usr/local/lib/python3.11/dist-packages/urllib3-2.0.0.dist-info/METADATA': metadata('urllib3', '2.0.0'),
      }),
    );
    assert.deepEqual(
      inventory.packages.filter((p) => p.ecosystem === 'PyPI' || p.ecosystem === 'npm').map((p) => `${p.ecosystem} ${p.name}`),
      ['PyPI urllib3'],
    );
  });

  it('counts a distribution found through both a dist-info and an egg-info directory once, as the dist-info', () => {
    const metadata = 'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\n';
    const inventory = analyseFiles(
      filesOf({
        'usr/lib/python3/site-packages/Jinja2-3.1.2.egg-info/PKG-INFO': metadata,
        'usr/lib/python3/site-packages/jinja2-3.1.2.dist-info/METADATA': metadata,
        'opt/venv/site-packages/Jinja2-3.1.2.egg-info': metadata,
      }),
    );
    assert.deepEqual(
      inventory.packages.map((p) => p.path),
      ['opt/venv/site-packages/Jinja2-3.1.2.egg-info', 'usr/lib/python3/site-packages/jinja2-3.1.2.dist-info/METADATA'],
    );
  });
});

/** Serves the image's layer blobs from memory, in chunks as a registry would. */
function blobsOf(image: BuiltImage): BlobOpener {
  return {
    async openBlob(digest) {
      const layer = image.layers.find((candidate) => candidate.digest === digest);
      if (!layer) throw new Error(`no blob ${digest}`);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < layer.bytes.length; offset += 16 * 1024) chunks.push(layer.bytes.subarray(offset, offset + 16 * 1024));
      return Readable.from(chunks);
    },
  };
}

describe('a file over the per-file cap', () => {
  const tooLarge = (size: number): LayerEntry => ({ kind: 'too-large', size, limit: 64 * 1024 * 1024 });
  const filesWith = (entries: Record<string, LayerEntry>) => mergeLayers([{ entries: new Map(Object.entries(entries)), whiteouts: [], opaqueDirs: [] }]);
  const osRelease: LayerEntry = { kind: 'file', data: Buffer.from(DEBIAN_12_OS_RELEASE) };
  const leftPad: LayerEntry = { kind: 'file', data: Buffer.from('{"name":"left-pad","version":"1.3.0"}') };

  it('fails the npm analyser alone: the dpkg packages of the image are reported, npm gets a note naming the file and the cap', async () => {
    // A real lock file, padded (with whitespace JSON allows) to 200 KiB: over the 64 KiB cap of this test.
    const lock = JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': {}, 'node_modules/x': { version: '1.0.0' } } }).padEnd(200 * 1024, ' ');
    const image = buildImage([
      await buildLayer([
        { path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE },
        { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS },
      ]),
      await buildLayer([
        // Nothing installed beside it: the lock file is what there is to read of that project.
        { path: 'srv/app/package-lock.json', content: lock },
        { path: 'srv/other/node_modules/left-pad/package.json', content: '{"name":"left-pad","version":"1.3.0"}' },
      ]),
    ]);
    const inventory = await analyseImage({
      blobs: blobsOf(image),
      layers: image.layers,
      limits: { maxFileBytes: 64 * 1024 },
    });
    assert.deepEqual(
      inventory.packages.map((p) => `${p.ecosystem} ${p.name}`),
      ['Debian:12 bsdutils', 'Debian:12 libbz2-1.0', 'Debian:12 libc6', 'Debian:12 libssl3', 'Debian:12 openssl', 'Debian:12 zlib1g'],
    );
    assert.deepEqual(inventory.unsupported, ['npm packages are not reported: srv/app/package-lock.json is 200 KiB, larger than the 64 KiB read per file']);
    assert.deepEqual(inventory.unsettled, ['srv/app/package-lock.json', 'srv/other/node_modules/left-pad/package.json']);
  });

  it('fails dpkg alone, and the other analysers go on', () => {
    for (const status of ['var/lib/dpkg/status', 'var/lib/dpkg/status.d/libc6']) {
      const inventory = analyseFiles(filesWith({ 'etc/os-release': osRelease, [status]: tooLarge(100 * 1024 ** 2), 'app/node_modules/left-pad/package.json': leftPad }));
      assert.deepEqual(
        inventory.packages.map((p) => `${p.ecosystem} ${p.name}`),
        ['npm left-pad'],
        status,
      );
      assert.deepEqual(inventory.unsupported, [`dpkg packages are not reported: ${status} is 100 MiB, larger than the 64 MiB read per file`]);
    }
  });

  it('fails apk alone, and the other analysers go on', () => {
    const inventory = analyseFiles(filesWith({ 'etc/os-release': osRelease, 'lib/apk/db/installed': tooLarge(65 * 1024 ** 2), 'app/node_modules/left-pad/package.json': leftPad }));
    assert.deepEqual(inventory.packages.map((p) => p.name), ['left-pad']);
    assert.deepEqual(inventory.unsupported, ['apk packages are not reported: lib/apk/db/installed is 65 MiB, larger than the 64 MiB read per file']);
  });

  it('fails rpm alone, whichever form of its database is too large', () => {
    for (const database of ['var/lib/rpm/rpmdb.sqlite', 'var/lib/rpm/Packages']) {
      const inventory = analyseFiles(filesWith({ 'etc/os-release': osRelease, [database]: tooLarge(300 * 1024 ** 2), 'app/node_modules/left-pad/package.json': leftPad }));
      assert.deepEqual(inventory.packages.map((p) => p.name), ['left-pad'], database);
      assert.deepEqual(inventory.unsupported, [`RPM packages are not reported: ${database} is 300 MiB, larger than the 64 MiB read per file`]);
    }
  });

  it('fails the Python analyser alone', () => {
    const inventory = analyseFiles(
      filesWith({ 'etc/os-release': osRelease, 'usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA': tooLarge(80 * 1024 ** 2), 'app/node_modules/left-pad/package.json': leftPad }),
    );
    assert.deepEqual(inventory.packages.map((p) => p.name), ['left-pad']);
    assert.match(inventory.unsupported.join('\n'), /^Python packages are not reported: usr\/lib\/python3\/dist-packages\/x-1\.0\.dist-info\/METADATA is 80 MiB/);
  });

  it('in etc/os-release leaves the distribution to usr/lib/os-release', () => {
    const inventory = analyseFiles(filesWith({ 'etc/os-release': tooLarge(70 * 1024 ** 2), 'usr/lib/os-release': osRelease }));
    assert.equal(inventory.os?.id, 'debian');
  });
});
