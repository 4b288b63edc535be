import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALPINE_319_OS_RELEASE, ALPINE_INSTALLED } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { AnalyserError } from './analyser.js';
import { apkAnalyser, apkOwnedFiles, parseApkInstalled } from './apk.js';
import { readOsRelease } from './os-release.js';

function filesOf(entries: Record<string, string>) {
  const map = new Map<string, LayerEntry>(Object.entries(entries).map(([path, text]) => [path, { kind: 'file', data: Buffer.from(text) }]));
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

describe('apk installed database', () => {
  it('reads name, version, origin and architecture of every entry', () => {
    const packages = parseApkInstalled(ALPINE_INSTALLED, 'lib/apk/db/installed');
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.origin]),
      [
        ['musl', '1.2.4_git20230717-r4', 'musl'],
        ['busybox', '1.36.1-r15', 'busybox'],
        ['libcrypto3', '3.1.4-r5', 'openssl'],
        ['libssl3', '3.1.4-r5', 'openssl'],
        ['zlib', '1.3.1-r0', 'zlib'],
      ],
    );
    assert.equal(packages[0]?.architecture, 'x86_64');
  });

  it('copes with a missing final blank line and several blank lines', () => {
    assert.equal(parseApkInstalled('P:a\nV:1-r0\n\n\n\nP:b\nV:2-r0', 'x').length, 2);
  });

  it('fails malformed files with the line', () => {
    assert.throws(() => parseApkInstalled('P:a\nV:1-r0\nthis is not apk\n', 'lib/apk/db/installed'), (err: unknown) => err instanceof AnalyserError && /line 3 is not "X:value"/.test(err.message));
    assert.throws(() => parseApkInstalled('P:invalidPackageWithoutAVersion\n\nP:b\nV:1\n', 'f'), /entry at line 1 has no V:/);
    assert.throws(() => parseApkInstalled('V:1\n', 'f'), /has no P:/);
    assert.throws(() => parseApkInstalled('P:has space\nV:1\n', 'f'), /invalid name/);
  });

  it('reports packages in the Alpine ecosystem with their origin as source', () => {
    const files = filesOf({ 'etc/os-release': ALPINE_319_OS_RELEASE, 'lib/apk/db/installed': ALPINE_INSTALLED });
    const result = apkAnalyser.analyse(files, readOsRelease(files));
    const libssl = result.packages.find((p) => p.name === 'libssl3');
    assert.deepEqual(libssl, { ecosystem: 'Alpine:v3.19', name: 'libssl3', version: '3.1.4-r5', sourceName: 'openssl', sourceVersion: '3.1.4-r5', path: 'lib/apk/db/installed' });
    assert.equal(result.packages.length, 5);
  });
});

describe('apk: the files its packages installed', () => {
  it('joins each R: file to the F: directory before it, stanza by stanza', () => {
    const text = 'P:py3-requests\nV:2.31.0-r1\nF:usr/lib/python3.11/site-packages/requests-2.31.0.dist-info\nR:METADATA\nR:RECORD\nF:usr/lib/python3.11/site-packages/requests\nR:api.py\n\nP:busybox\nV:1.36.1-r15\nR:.keep\n';
    assert.deepEqual([...apkOwnedFiles(text)], [
      'usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA',
      'usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD',
      'usr/lib/python3.11/site-packages/requests/api.py',
      '.keep',
    ]);
  });
});
