import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseEntryPath } from './entry-path.js';
import { LayerError } from './layer-error.js';

describe('normaliseEntryPath', () => {
  it('strips ./, empty and . components and trailing slashes', () => {
    assert.equal(normaliseEntryPath('./etc/os-release'), 'etc/os-release');
    assert.equal(normaliseEntryPath('var//lib/./dpkg/'), 'var/lib/dpkg');
    assert.equal(normaliseEntryPath('./'), null);
    assert.equal(normaliseEntryPath('.'), null);
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
