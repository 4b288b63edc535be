import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyserError } from '../analysers/analyser.js';
import { mergeLayers, resolvePath } from './image-files.js';
import type { LayerContents, LayerEntry } from './layer-reader.js';
import { createPathSelector } from './path-selector.js';

function layer(entries: Record<string, LayerEntry>, whiteouts: string[] = [], opaqueDirs: string[] = []): LayerContents {
  return { entries: new Map(Object.entries(entries)), whiteouts, opaqueDirs };
}

const file = (text: string): LayerEntry => ({ kind: 'file', data: Buffer.from(text) });
const link = (target: string): LayerEntry => ({ kind: 'symlink', target });

describe('path selector', () => {
  const selector = createPathSelector({ keep: ['var/lib/dpkg/status', 'var/lib/dpkg/status.d/*'], note: ['var/lib/rpm/rpmdb.sqlite'] });

  it('keeps exact paths and files directly inside globbed directories', () => {
    assert.equal(selector.interestIn('var/lib/dpkg/status'), 'keep');
    assert.equal(selector.interestIn('var/lib/dpkg/status.d/libc6'), 'keep');
    assert.equal(selector.interestIn('var/lib/dpkg/status.d/sub/libc6'), null);
    assert.equal(selector.interestIn('var/lib/dpkg/status-old'), null);
    assert.equal(selector.interestIn('var/lib/rpm/rpmdb.sqlite'), 'note');
  });

  it('knows the directories above what it wants', () => {
    for (const path of ['var', 'var/lib', 'var/lib/dpkg', 'var/lib/dpkg/status.d', 'var/lib/rpm']) assert.equal(selector.mayContain(path), true, path);
    for (const path of ['usr', 'var/cache', 'var/lib/apt']) assert.equal(selector.mayContain(path), false, path);
  });
});

describe('merging layers', () => {
  it('lets a later layer replace a file', () => {
    const files = mergeLayers([layer({ 'var/lib/dpkg/status': file('old') }), layer({ 'var/lib/dpkg/status': file('new') })]);
    assert.equal(files.read('var/lib/dpkg/status')?.toString(), 'new');
  });

  it('applies a whiteout of a later layer to the file and to everything under a directory', () => {
    const files = mergeLayers([
      layer({ 'var/lib/dpkg/status': file('db'), 'var/lib/dpkg/status.d/a': file('a'), 'lib/apk/db/installed': file('apk') }),
      layer({}, ['var/lib/dpkg/status', 'lib/apk']),
    ]);
    assert.equal(files.read('var/lib/dpkg/status'), null);
    assert.equal(files.read('lib/apk/db/installed'), null);
    assert.equal(files.read('var/lib/dpkg/status.d/a')?.toString(), 'a');
  });

  it('hides the lower content of an opaque directory but keeps the same layer’s own files', () => {
    const files = mergeLayers([
      layer({ 'var/lib/dpkg/status.d/a': file('a'), 'var/lib/dpkg/status.d/b': file('b') }),
      layer({ 'var/lib/dpkg/status.d/c': file('c') }, [], ['var/lib/dpkg/status.d']),
    ]);
    assert.deepEqual(files.list('var/lib/dpkg/status.d'), ['var/lib/dpkg/status.d/c']);
  });

  it('does not let a whiteout act on the layer that carries it', () => {
    const files = mergeLayers([layer({ 'var/lib/dpkg/status': file('re-added') }, ['var/lib/dpkg/status'])]);
    assert.equal(files.read('var/lib/dpkg/status')?.toString(), 're-added');
  });

  it('lets a file or symlink replace a directory with its content, and a directory merge with one', () => {
    const replaced = mergeLayers([layer({ 'var/lib/dpkg/status.d/a': file('a') }), layer({ 'var/lib/dpkg/status.d': link('/nowhere') })]);
    assert.deepEqual(replaced.list('var/lib/dpkg/status.d'), []);
    const merged = mergeLayers([layer({ 'var/lib/dpkg/status.d/a': file('a') }), layer({ 'var/lib/dpkg/status.d': { kind: 'directory' } })]);
    assert.deepEqual(merged.list('var/lib/dpkg/status.d'), ['var/lib/dpkg/status.d/a']);
  });

  it('reports noted files as existing without content', () => {
    const files = mergeLayers([layer({ 'var/lib/rpm/rpmdb.sqlite': { kind: 'present' } })]);
    assert.equal(files.exists('var/lib/rpm/rpmdb.sqlite'), true);
    assert.equal(files.read('var/lib/rpm/rpmdb.sqlite'), null);
    assert.equal(files.exists('var/lib/rpm/Packages'), false);
  });
});

describe('files too large to read', () => {
  const tooLarge: LayerEntry = { kind: 'too-large', size: 300 * 1024 * 1024, limit: 64 * 1024 * 1024 };

  it('exist and are listed, but reading one fails the analyser that asks with the size and the cap', () => {
    const files = mergeLayers([layer({ 'srv/app/package-lock.json': tooLarge, 'srv/app/package.json': file('{}'), 'etc/lock': link('/srv/app/package-lock.json') })]);
    assert.equal(files.exists('srv/app/package-lock.json'), true);
    assert.deepEqual(files.list('srv/app'), ['srv/app/package-lock.json', 'srv/app/package.json']);
    assert.deepEqual(files.allFiles(), ['srv/app/package-lock.json', 'srv/app/package.json']);
    assert.throws(
      () => files.read('srv/app/package-lock.json'),
      (err: unknown) => err instanceof AnalyserError && err.message === 'srv/app/package-lock.json is 300 MiB, larger than the 64 MiB read per file',
    );
    assert.throws(() => files.read('etc/lock'), /etc\/lock is 300 MiB, larger than the 64 MiB read per file/);
    assert.equal(files.read('srv/app/package.json')?.toString(), '{}');
  });

  it('give way to a smaller file or a whiteout of a later layer', () => {
    const replaced = mergeLayers([layer({ 'var/lib/dpkg/status': tooLarge }), layer({ 'var/lib/dpkg/status': file('small') })]);
    assert.equal(replaced.read('var/lib/dpkg/status')?.toString(), 'small');
    const deleted = mergeLayers([layer({ 'var/lib/dpkg/status': tooLarge }), layer({}, ['var/lib/dpkg/status'])]);
    assert.equal(deleted.read('var/lib/dpkg/status'), null);
    assert.equal(deleted.exists('var/lib/dpkg/status'), false);
  });

  it('say their size to a tenth when it is no whole number of units', () => {
    const files = mergeLayers([layer({ 'lib/apk/db/installed': { kind: 'too-large', size: 70 * 1024 * 1024 + 123_456, limit: 64 * 1024 * 1024 } })]);
    assert.throws(() => files.read('lib/apk/db/installed'), /lib\/apk\/db\/installed is 70\.1 MiB, larger than the 64 MiB read per file/);
  });
});

describe('symlinks inside the image', () => {
  it('follow relative and absolute targets, also on directories above the file', () => {
    const files = mergeLayers([
      layer({
        'usr/lib/os-release': file('ID=debian'),
        'etc/os-release': link('../usr/lib/os-release'),
        'etc/alt-release': link('/usr/lib/os-release'),
        lib: link('usr/lib'),
      }),
    ]);
    assert.equal(files.read('etc/os-release')?.toString(), 'ID=debian');
    assert.equal(files.read('etc/alt-release')?.toString(), 'ID=debian');
    assert.equal(files.read('lib/os-release')?.toString(), 'ID=debian');
  });

  it('never climb above the image root', () => {
    const entries = new Map<string, LayerEntry>([['etc/os-release', link('../../../../usr/lib/os-release')]]);
    assert.equal(resolvePath(entries, 'etc/os-release'), 'usr/lib/os-release');
  });

  it('give up on loops instead of spinning', () => {
    const files = mergeLayers([layer({ 'etc/a': link('b'), 'etc/b': link('a'), 'etc/self': link('self') })]);
    assert.equal(files.read('etc/a'), null);
    assert.equal(files.read('etc/self'), null);
  });

  it('follow the link of the last layer that wrote it', () => {
    const files = mergeLayers([
      layer({ 'etc/os-release': file('ID=old') }),
      layer({ 'etc/os-release': link('../usr/lib/os-release'), 'usr/lib/os-release': file('ID=new') }),
    ]);
    assert.equal(files.read('etc/os-release')?.toString(), 'ID=new');
  });
});
