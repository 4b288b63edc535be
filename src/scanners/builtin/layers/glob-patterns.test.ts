import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeLayers } from './image-files.js';
import type { LayerContents, LayerEntry } from './layer-reader.js';
import { createPathSelector } from './path-selector.js';

const selector = createPathSelector({
  keep: ['**/node_modules/*/package.json', '**/node_modules/@*/*/package.json', '**/site-packages/*.dist-info/METADATA', 'opt/app/**/lock.json'],
  note: ['**/*.egg-info', 'var/lib/rpm/Packages'],
});

describe('glob patterns', () => {
  it('match files wherever "**" allows, "*" within one segment only', () => {
    assert.equal(selector.interestIn('node_modules/lodash/package.json'), 'keep');
    assert.equal(selector.interestIn('app/node_modules/lodash/package.json'), 'keep');
    assert.equal(selector.interestIn('app/node_modules/a/node_modules/b/package.json'), 'keep', 'nested copies');
    assert.equal(selector.interestIn('app/node_modules/@babel/core/package.json'), 'keep');
    assert.equal(selector.interestIn('app/node_modules/lodash/lib/package.json'), null, 'not a package root');
    assert.equal(selector.interestIn('app/package.json'), null);
    assert.equal(selector.interestIn('usr/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA'), 'keep');
    assert.equal(selector.interestIn('usr/lib/python3.12/site-packages/requests/METADATA'), null);
    assert.equal(selector.interestIn('opt/app/lock.json'), 'keep', '"**" matches no directory too');
    assert.equal(selector.interestIn('opt/app/a/b/lock.json'), 'keep');
    assert.equal(selector.interestIn('opt/other/lock.json'), null);
    assert.equal(selector.interestIn('usr/lib/python3/dist-packages/six-1.16.0.egg-info'), 'note');
  });

  it('treat regular-expression characters in patterns literally', () => {
    const dotted = createPathSelector({ keep: ['**/a.b/*.json'], note: [] });
    assert.equal(dotted.interestIn('x/a.b/c.json'), 'keep');
    assert.equal(dotted.interestIn('x/aXb/c.json'), null);
    assert.equal(dotted.interestIn('x/a.b/cXjson'), null);
  });

  it('say any directory may hold a match of a glob that starts with "**", and only the prefix for others', () => {
    assert.equal(selector.mayContain('usr'), true);
    assert.equal(selector.mayContain('srv/www/app/node_modules'), true);
    const rooted = createPathSelector({ keep: ['opt/app/**/lock.json'], note: [] });
    for (const path of ['opt', 'opt/app', 'opt/app/x/y']) assert.equal(rooted.mayContain(path), true, path);
    for (const path of ['usr', 'opt/other', 'opt/application']) assert.equal(rooted.mayContain(path), false, path);
  });

  it('keep existing exact and directory patterns as they were', () => {
    const mixed = createPathSelector({ keep: ['var/lib/dpkg/status.d/*'], note: [] });
    assert.equal(mixed.interestIn('var/lib/dpkg/status.d/libc6'), 'keep');
    assert.equal(mixed.interestIn('var/lib/dpkg/status.d/x/libc6'), null);
  });

  it('match a path hundreds of directories deep in linear time', () => {
    const deep = `${'node_modules/a/'.repeat(2000)}package.json`;
    const started = performance.now();
    assert.equal(selector.interestIn(deep), 'keep');
    assert.equal(selector.interestIn(`${'x/'.repeat(20_000)}package.jso`), null);
    assert.ok(performance.now() - started < 200);
  });
});

describe('merged image files', () => {
  const file = (text: string): LayerEntry => ({ kind: 'file', data: Buffer.from(text) });
  const layer = (entries: Record<string, LayerEntry>, whiteouts: string[] = [], opaqueDirs: string[] = []): LayerContents => ({
    entries: new Map(Object.entries(entries)),
    whiteouts,
    opaqueDirs,
  });

  it('list every kept or noted file, sorted, without directories and symlinks', () => {
    const files = mergeLayers([
      layer({ 'b/x': file('1'), 'a/y': file('2'), a: { kind: 'directory' }, 'c/link': { kind: 'symlink', target: '../b/x' }, 'd/db': { kind: 'present' } }),
      layer({ 'e/z': file('3') }, ['b/x']),
    ]);
    assert.deepEqual(files.allFiles(), ['a/y', 'd/db', 'e/z']);
  });

  it('still remove what a whiteout, an opaque directory or a replacing file hides', () => {
    const files = mergeLayers([
      layer({ 'app/node_modules/a/package.json': file('a'), 'app/node_modules/b/package.json': file('b'), 'srv/c/package.json': file('c') }),
      layer({ 'app/node_modules/b': file('not a directory any more') }, ['srv']),
      layer({}, [], ['app/node_modules/a']),
    ]);
    assert.deepEqual(files.allFiles(), ['app/node_modules/b']);
  });

  it('merge tens of thousands of files in linear time', () => {
    const entries: Record<string, LayerEntry> = {};
    for (let i = 0; i < 40_000; i++) entries[`app/node_modules/p${i}/package.json`] = file('{}');
    const started = performance.now();
    const files = mergeLayers([layer(entries), layer({ 'app/node_modules/p1/package.json': file('{"v":2}') })]);
    assert.equal(files.allFiles().length, 40_000);
    assert.equal(files.read('app/node_modules/p1/package.json')?.toString(), '{"v":2}');
    assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
  });
});
