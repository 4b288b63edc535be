import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS, DEBIAN_STATUS_INSTALLED } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { AnalyserError } from './analyser.js';
import { dpkgAnalyser, parseDpkgStatus } from './dpkg.js';
import { readOsRelease } from './os-release.js';

function filesOf(entries: Record<string, string>) {
  const map = new Map<string, LayerEntry>(Object.entries(entries).map(([path, text]) => [path, { kind: 'file', data: Buffer.from(text) }]));
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

describe('dpkg status parsing', () => {
  it('reads every installed package of a real status file with its source', () => {
    const packages = parseDpkgStatus(DEBIAN_STATUS, 'var/lib/dpkg/status');
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion]),
      [
        ['libc6', '2.36-9+deb12u14', 'glibc', '2.36-9+deb12u14'],
        ['libssl3', '3.0.19-1~deb12u2', 'openssl', '3.0.19-1~deb12u2'],
        ['zlib1g', '1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1'],
        ['openssl', '3.0.19-1~deb12u2', 'openssl', '3.0.19-1~deb12u2'],
        ['bsdutils', '1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3'],
        ['libbz2-1.0', '1.0.8-5+b1', 'bzip2', '1.0.8-5'],
      ],
    );
    assert.equal(packages[0]?.architecture, 'amd64');
  });

  it('leaves out removed (config-files) and purged packages, keeps held ones', () => {
    const names = parseDpkgStatus(`${DEBIAN_STATUS}\nPackage: held\nStatus: hold ok installed\nVersion: 1.0-1\n`, 's').map((p) => p.name);
    assert.ok(!names.includes('exim4-config'));
    assert.ok(!names.includes('libgcrypt20-old'));
    assert.ok(names.includes('held'));
  });

  it('treats distroless status.d stanzas without Status as installed', () => {
    const [pkg] = parseDpkgStatus('Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n', 'var/lib/dpkg/status.d/tzdata');
    assert.deepEqual(pkg, { name: 'tzdata', version: '2024a-0+deb12u1', architecture: 'all', sourceName: 'tzdata', sourceVersion: '2024a-0+deb12u1' });
  });

  it('accepts CRLF line ends', () => {
    assert.equal(parseDpkgStatus('Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n', 's').length, 1);
  });

  it('fails malformed databases with the file and line', () => {
    const cases: [string, RegExp][] = [
      ['Package: a\nVersion: 1\ngarbage without colon\n', /line 3 is a line that is not "Field: value"/],
      [' continuation first\n', /line 1 is a continuation line outside a field/],
      ['Status: install ok installed\nVersion: 1\n', /no Package field/],
      ['Package: a\nStatus: install ok installed\n', /package a has no Version/],
      ['Package: a b\nVersion: 1\n', /invalid package name/],
      ['Package: a\nVersion: 1 2\n', /invalid version/],
      ['Package: a\nVersion: 1\nSource: b (2\n', /invalid Source/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseDpkgStatus(text, 'var/lib/dpkg/status'), (err: unknown) => err instanceof AnalyserError && message.test(err.message) && err.message.startsWith('var/lib/dpkg/status'), text);
    }
  });
});

describe('dpkg analyser', () => {
  const os = readOsRelease(filesOf({ 'etc/os-release': DEBIAN_12_OS_RELEASE }));

  it('reports status and status.d packages in the Debian ecosystem of the release', () => {
    const files = filesOf({
      'var/lib/dpkg/status': DEBIAN_STATUS_INSTALLED,
      'var/lib/dpkg/status.d/base-files': 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
      'var/lib/dpkg/status.d/base-files.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n',
    });
    const result = dpkgAnalyser.analyse(files, os);
    assert.equal(result.found, true);
    assert.equal(result.packages.length, 7);
    assert.ok(result.packages.every((p) => p.ecosystem === 'Debian:12'));
    const baseFiles = result.packages.find((p) => p.name === 'base-files');
    assert.equal(baseFiles?.path, 'var/lib/dpkg/status.d/base-files');
  });

  it('lists a multi-arch package once', () => {
    const text = 'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9\n';
    assert.equal(dpkgAnalyser.analyse(filesOf({ 'var/lib/dpkg/status': text }), os).packages.length, 1);
  });

  it('keeps the packages of a release without advisories, and says that they go unmatched', () => {
    const result = dpkgAnalyser.analyse(filesOf({ 'var/lib/dpkg/status': DEBIAN_STATUS_INSTALLED }), null);
    assert.equal(result.packages.length, 6);
    assert.ok(result.packages.every((p) => p.ecosystem === 'unknown'));
    assert.deepEqual(result.gap, { distribution: 'an unidentified distribution', ecosystem: 'unknown', path: 'var/lib/dpkg/status', packages: 6 });
    assert.deepEqual(result.unsettled, ['var/lib/dpkg/status']);
  });

  it('names the files its packages installed, from info/*.list and status.d/*.md5sums', () => {
    const files = filesOf({
      'var/lib/dpkg/status': DEBIAN_STATUS_INSTALLED,
      'var/lib/dpkg/info/python3-requests.list': '/.\n/usr\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO\n',
      'var/lib/dpkg/info/python3-requests.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  usr/lib/python3/dist-packages/requests/api.py\n',
      'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      'var/lib/dpkg/status.d/tzdata.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  usr/share/zoneinfo/UTC\n',
    });
    const owned = [...(dpkgAnalyser.analyse(files, os).ownedFiles ?? [])];
    assert.deepEqual(owned, [
      'usr',
      'usr/lib/python3/dist-packages/requests-2.28.1.egg-info',
      'usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO',
      'usr/share/zoneinfo/UTC',
    ]);
  });

  it('finds nothing in an image without dpkg', () => {
    assert.deepEqual(dpkgAnalyser.analyse(filesOf({}), os), { found: false, packages: [], notes: [] });
  });

  it('fails on a binary file where the database should be', () => {
    assert.throws(() => dpkgAnalyser.analyse(filesOf({ 'var/lib/dpkg/status': 'Package: a\0\0\0' }), os), /holds NUL bytes/);
  });
});
