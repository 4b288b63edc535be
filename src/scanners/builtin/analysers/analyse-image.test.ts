import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALPINE_319_OS_RELEASE, ALPINE_INSTALLED, DEBIAN_12_OS_RELEASE, DEBIAN_STATUS, FEDORA_39_OS_RELEASE } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { normaliseEntryPath } from '../layers/entry-path.js';
import { analyseFiles } from './analyse-image.js';
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
    assert.deepEqual(inventory.analysers, { 'os-release': '1', dpkg: '1', apk: '1', rpm: '2', npm: '1', python: '1' });
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

  it('notes packages it cannot place in an ecosystem', () => {
    const inventory = analyseFiles(filesOf({ 'var/lib/dpkg/status': DEBIAN_STATUS }));
    assert.deepEqual(inventory.packages, []);
    assert.equal(inventory.unsupported.length, 2);
    assert.match(inventory.unsupported[0] ?? '', /dpkg lists 6 packages, but the distribution is unknown/);
  });
});
