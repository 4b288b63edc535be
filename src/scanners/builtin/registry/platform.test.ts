import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPlatform, parsePlatform, selectPlatformEntry } from './platform.js';
import { RegistryError } from './registry-error.js';
import type { ImageIndex } from './schemas.js';

function entry(n: number, platform: { os: string; architecture: string; variant?: string }, annotations?: Record<string, string>): ImageIndex['manifests'][number] {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${String(n).repeat(64)}`,
    size: 500,
    platform,
    ...(annotations ? { annotations } : {}),
  };
}

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    entry(1, { os: 'linux', architecture: 'amd64' }),
    entry(2, { os: 'linux', architecture: 'arm', variant: 'v6' }),
    entry(3, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    entry(4, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry(5, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
  ],
};

describe('platforms', () => {
  it('parses and formats os/architecture[/variant]', () => {
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
    for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux/arm/']) assert.throws(() => parsePlatform(bad), RegistryError, bad);
  });

  it('selects the entry of the asked platform', () => {
    assert.equal(selectPlatformEntry(index, { os: 'linux', architecture: 'amd64' }).digest[7], '1');
    assert.equal(selectPlatformEntry(index, { os: 'linux', architecture: 'arm', variant: 'v6' }).digest[7], '2');
  });

  it('treats a missing variant as the architecture default (arm64 → v8, arm → v7)', () => {
    assert.equal(selectPlatformEntry(index, { os: 'linux', architecture: 'arm64' }).digest[7], '4');
    assert.equal(selectPlatformEntry(index, { os: 'linux', architecture: 'arm' }).digest[7], '3');
    const bare: ImageIndex = { schemaVersion: 2, manifests: [entry(6, { os: 'linux', architecture: 'arm64' })] };
    assert.equal(selectPlatformEntry(bare, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest[7], '6');
  });

  it('fails as unsupported, listing what the index has, when the platform is missing', () => {
    assert.throws(
      () => selectPlatformEntry(index, { os: 'linux', architecture: 's390x' }),
      (err: unknown) =>
        err instanceof RegistryError &&
        err.kind === 'unsupported' &&
        err.status === 'UNSUPPORTED_IMAGE' &&
        err.message.includes('linux/s390x') &&
        err.message.includes('linux/arm64/v8') &&
        !err.message.includes('unknown/unknown'),
    );
  });
});
