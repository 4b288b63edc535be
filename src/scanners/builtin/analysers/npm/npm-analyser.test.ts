import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeLayers } from '../../layers/image-files.js';
import type { LayerEntry } from '../../layers/layer-reader.js';
import { createPathSelector } from '../../layers/path-selector.js';
import { LOCK_ONLY_SUFFIX } from '../../inventory.js';
import { npmAnalyser } from './npm-analyser.js';

type Item = string | Buffer | { link: string };

function filesOf(entries: Record<string, Item>) {
  // As the layer reader would: only what the analyser asks for is kept, links are kept as links.
  const selector = createPathSelector({ keep: npmAnalyser.paths, note: [] });
  const map = new Map<string, LayerEntry>();
  for (const [path, value] of Object.entries(entries)) {
    if (typeof value === 'object' && !Buffer.isBuffer(value)) map.set(path, { kind: 'symlink', target: value.link });
    else if (selector.interestIn(path) === 'keep') map.set(path, { kind: 'file', data: Buffer.from(value) });
  }
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

const manifest = (name: string, version: string): string => JSON.stringify({ name, version, description: 'x', main: 'index.js' });

function analyse(entries: Record<string, Item>) {
  return npmAnalyser.analyse(filesOf(entries), null);
}

describe('npm analyser: installed packages', () => {
  it('reports every package folder of every node_modules, nested copies and scopes included, each with its path', () => {
    const result = analyse({
      'app/node_modules/minimist/package.json': manifest('minimist', '1.2.5'),
      'app/node_modules/mkdirp/package.json': manifest('mkdirp', '0.5.1'),
      'app/node_modules/mkdirp/node_modules/minimist/package.json': manifest('minimist', '0.0.8'),
      'app/node_modules/@isaacs/string-locale-compare/package.json': manifest('@isaacs/string-locale-compare', '1.1.0'),
      'usr/lib/node_modules/npm/node_modules/semver/package.json': manifest('semver', '7.5.1'),
      'app/node_modules/minimist/lib/package.json': '{"type":"module"}',
      'app/package.json': manifest('app', '1.0.0'),
    });
    assert.deepEqual(result.notes, []);
    assert.deepEqual(
      result.packages.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.path}`).sort(),
      [
        'npm @isaacs/string-locale-compare@1.1.0 app/node_modules/@isaacs/string-locale-compare/package.json',
        'npm minimist@0.0.8 app/node_modules/mkdirp/node_modules/minimist/package.json',
        'npm minimist@1.2.5 app/node_modules/minimist/package.json',
        'npm mkdirp@0.5.1 app/node_modules/mkdirp/package.json',
        'npm semver@7.5.1 usr/lib/node_modules/npm/node_modules/semver/package.json',
      ],
    );
  });

  it('takes the name from the manifest (aliases), drops a byte order mark and a leading v', () => {
    const result = analyse({
      'node_modules/left-pad/package.json': manifest('pad-left', '1.0.2'),
      'node_modules/bom/package.json': `\ufeff${manifest('bom', 'v2.0.0')}`,
    });
    assert.deepEqual(
      result.packages.map((p) => `${p.name}@${p.version}`),
      ['bom@2.0.0', 'pad-left@1.0.2'],
    );
  });

  it('skips folders whose manifest names no package, and notes manifests it cannot read', () => {
    const result = analyse({
      'node_modules/ok/package.json': manifest('ok', '1.0.0'),
      'node_modules/fixture/package.json': '{"private": true}',
      'node_modules/broken/package.json': '{"name": "broken", ',
      'node_modules/array/package.json': '[]',
      'node_modules/tagged/package.json': manifest('tagged', 'latest'),
    });
    assert.deepEqual(result.packages.map((p) => p.name), ['ok']);
    assert.equal(result.notes.length, 3);
    assert.match(result.notes[0] ?? '', /^npm: node_modules\/array\/package\.json: not a JSON object \(left out\)$/);
    assert.match(result.notes[1] ?? '', /^npm: node_modules\/broken\/package\.json: not valid JSON/);
    assert.match(result.notes[2] ?? '', /tagged has the version "latest", which is not SemVer/);
  });

  it('counts notes past twenty instead of listing them all', () => {
    const entries: Record<string, Item> = {};
    for (let i = 0; i < 30; i++) entries[`node_modules/p${i}/package.json`] = 'not json';
    const result = analyse(entries);
    assert.equal(result.notes.length, 21);
    assert.equal(result.notes[20], '… and 10 more npm files or entries left out');
  });

  it('goes through deeply nested trees and notes the absurdly deep', () => {
    const deep = `${'node_modules/a/'.repeat(40)}package.json`;
    const absurd = `${'node_modules/a/'.repeat(300)}package.json`;
    const result = analyse({ [deep]: manifest('a', '1.0.0'), [absurd]: manifest('a', '2.0.0') });
    assert.deepEqual(result.packages.map((p) => p.version), ['1.0.0']);
    assert.match(result.notes[0] ?? '', /node_modules nested 300 deep, more than 64/);
  });

  it('is not fooled by cyclic and self-referencing links', () => {
    const started = performance.now();
    const result = analyse({
      'app/node_modules/real/package.json': manifest('real', '1.0.0'),
      'app/node_modules/loop': { link: '../node_modules' },
      'app/node_modules/self': { link: 'self' },
      'app/node_modules/real/node_modules/up': { link: '../../..' },
      'app/node_modules/workspace': { link: '../packages/workspace' },
    });
    assert.deepEqual(result.packages.map((p) => `${p.name} ${p.path}`), ['real app/node_modules/real/package.json']);
    assert.ok(performance.now() - started < 1000);
  });
});

describe('npm analyser: lock files', () => {
  const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/request': { version: '2.88.2' }, 'node_modules/jest': { version: '29.0.0', dev: true } } });

  it('reports the packages of package-lock.json and npm-shrinkwrap.json, not those of lock files inside node_modules', () => {
    const result = analyse({
      'srv/app/package-lock.json': lock,
      'srv/tool/npm-shrinkwrap.json': lock,
      'srv/app/node_modules/dep/npm-shrinkwrap.json': lock,
      'srv/my_node_modules/package-lock.json': lock,
    });
    assert.deepEqual(
      result.packages.map((p) => `${p.name}@${p.version} ${p.path}`),
      ['request@2.88.2 srv/app/package-lock.json', 'request@2.88.2 srv/my_node_modules/package-lock.json', 'request@2.88.2 srv/tool/npm-shrinkwrap.json'].map((text) => `${text}${LOCK_ONLY_SUFFIX}`),
    );
  });

  it('reports a name and version a lock pins at several install paths once, and each version of a name', () => {
    const packages = {
      'node_modules/ms': { version: '2.1.3' },
      'node_modules/a/node_modules/ms': { version: '2.1.3' },
      'node_modules/b/node_modules/ms': { version: '2.0.0' },
      'node_modules/c/node_modules/ms': { version: 'v2.0.0' },
      'node_modules/d/node_modules/ms': { version: '3.0.0' },
    };
    const result = analyse({ 'srv/app/package-lock.json': JSON.stringify({ lockfileVersion: 3, packages }), 'srv/other/package-lock.json': JSON.stringify({ lockfileVersion: 3, packages }) });
    assert.deepEqual(
      result.packages.map((p) => `${p.name}@${p.version} ${p.path}`).sort(),
      ['ms@2.0.0 srv/app/package-lock.json', 'ms@2.0.0 srv/other/package-lock.json', 'ms@2.1.3 srv/app/package-lock.json', 'ms@2.1.3 srv/other/package-lock.json', 'ms@3.0.0 srv/app/package-lock.json', 'ms@3.0.0 srv/other/package-lock.json'].map(
        (text) => `${text}${LOCK_ONLY_SUFFIX}`,
      ),
    );
  });

  it('notes a broken lock file and keeps the other files’ packages', () => {
    const result = analyse({ 'a/package-lock.json': '{"lockfileVersion": 3, "packages": {', 'b/package-lock.json': lock });
    assert.deepEqual(result.packages.map((p) => p.path), [`b/package-lock.json${LOCK_ONLY_SUFFIX}`]);
    assert.match(result.notes[0] ?? '', /^npm: a\/package-lock\.json: not valid JSON/);
    assert.deepEqual(result.unsettled, [`a/package-lock.json${LOCK_ONLY_SUFFIX}`]);
  });

  it('reports what is installed where a project has a node_modules tree: a lock entry whose folder is gone is not in the image', () => {
    const twoPackages = JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/kept': { version: '1.0.0' }, 'node_modules/removed': { version: '2.0.0' } } });
    const result = analyse({
      'srv/app/package-lock.json': twoPackages,
      'srv/app/node_modules/kept/package.json': manifest('kept', '1.0.0'),
      'srv/bare/package-lock.json': twoPackages,
    });
    assert.deepEqual(result.packages.map((p) => `${p.name} ${p.path}`).sort(), [
      'kept srv/app/node_modules/kept/package.json',
      `kept srv/bare/package-lock.json${LOCK_ONLY_SUFFIX}`,
      `removed srv/bare/package-lock.json${LOCK_ONLY_SUFFIX}`,
    ]);
  });

  it('names an unreadable installed manifest as unsettled', () => {
    const result = analyse({ 'node_modules/ok/package.json': manifest('ok', '1.0.0'), 'node_modules/broken/package.json': '{' });
    assert.deepEqual(result.unsettled, ['node_modules/broken/package.json']);
  });

  it('finds nothing in an image without npm', () => {
    assert.deepEqual(analyse({ 'etc/os-release': 'ID=debian' }), { found: false, packages: [], notes: [] });
  });
});
