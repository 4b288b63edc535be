import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNormalPath, normaliseEntryPath } from './entry-path.js';
import { LayerError } from './layer-error.js';

describe('normaliseEntryPath', () => {
  it('strips ./, empty and . components and trailing slashes', () => {
    assert.equal(normaliseEntryPath('./etc/os-release'), 'etc/os-release');
    assert.equal(normaliseEntryPath('var//lib/./dpkg/'), 'var/lib/dpkg');
    assert.equal(normaliseEntryPath('./'), null);
    assert.equal(normaliseEntryPath('.'), null);
  });

  it('gives what the full check gives on the forms layers use, taking the short way only for names already normal', () => {
    const cases: [string, string | null][] = [
      ['usr/lib/x', 'usr/lib/x'],
      ['usr/lib/', 'usr/lib'],
      ['./usr/', 'usr'],
      ['.//etc', 'etc'],
      ['./', null],
      ['.hidden/x', '.hidden/x'],
      ['./a/.wh.b', 'a/.wh.b'],
      ['a/b//', 'a/b'],
    ];
    for (const [name, expected] of cases) assert.equal(normaliseEntryPath(name), expected, name);
    for (const path of ['usr/lib/x', 'a', 'node_modules/@scope/pkg/package.json']) assert.equal(isNormalPath(path), true, path);
    for (const path of ['', '/a', 'a/', 'a//b', './a', 'a/./b', 'a/../b', '..', '.wh.x', 'a\0b']) assert.equal(isNormalPath(path), false, path);
  });

  it('keeps names that merely contain dots', () => {
    assert.equal(normaliseEntryPath('usr/share/..data/x'), 'usr/share/..data/x');
    assert.equal(normaliseEntryPath('a/.wh..wh..opq'), 'a/.wh..wh..opq');
  });

  it('refuses absolute names, ".." components anywhere and NUL bytes', () => {
    for (const name of ['/etc/passwd', '../etc/passwd', 'a/../../b', 'a/..', './../x', 'a\0b']) {
      assert.throws(
        () => normaliseEntryPath(name),
        (err: unknown) => err instanceof LayerError && err.kind === 'unsafe-path' && err.status === 'FAILED',
        name,
      );
    }
  });
});
