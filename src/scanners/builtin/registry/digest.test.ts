import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createDigestVerifier, digestOf, isDigest, parseDigest, verifyDigest } from './digest.js';
import { RegistryError } from './registry-error.js';

const content = Buffer.from('{"schemaVersion":2}');
const sha256 = `sha256:${createHash('sha256').update(content).digest('hex')}`;
const sha512 = `sha512:${createHash('sha512').update(content).digest('hex')}`;

describe('digests', () => {
  it('parses sha256 and sha512 and refuses anything else', () => {
    assert.deepEqual(parseDigest(sha256), { algorithm: 'sha256', hex: sha256.slice(7) });
    assert.equal(parseDigest(sha512).algorithm, 'sha512');
    for (const bad of ['sha256:abc', `md5:${'a'.repeat(32)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, '']) {
      assert.equal(isDigest(bad), false, bad);
      assert.throws(() => parseDigest(bad), RegistryError);
    }
  });

  it('verifies content with either algorithm', () => {
    assert.equal(digestOf(content), sha256);
    assert.equal(digestOf(content, 'sha512'), sha512);
    verifyDigest(content, sha256, 'manifest');
    verifyDigest(content, sha512, 'manifest');
  });

  it('fails a mismatch with a digest-mismatch error naming both digests', () => {
    const tampered = Buffer.from('{"schemaVersion":3}');
    assert.throws(
      () => verifyDigest(tampered, sha256, 'manifest a:b'),
      (err: unknown) => err instanceof RegistryError && err.kind === 'digest-mismatch' && err.message.includes(sha256) && err.status === 'FAILED',
    );
    assert.throws(() => verifyDigest(tampered, sha512, 'manifest'), /hashes to sha512:/);
  });

  it('verifies streamed content incrementally', () => {
    const verifier = createDigestVerifier(sha512, 'blob');
    verifier.update(content.subarray(0, 5));
    verifier.update(content.subarray(5));
    verifier.finish();
    const wrong = createDigestVerifier(sha256, 'blob');
    wrong.update(content.subarray(1));
    assert.throws(() => wrong.finish(), /blob: content hashes to/);
  });
});
