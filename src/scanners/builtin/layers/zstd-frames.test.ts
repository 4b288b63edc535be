import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLayer, zstdAvailable } from '../../../../test/support/image-builder.js';
import { LayerError } from './layer-error.js';
import { ZstdFrames } from './zstd-frames.js';

/** Whether bytes end where a zstd frame ends, fed in pieces of `piece` bytes. */
function endsWithFrame(bytes: Uint8Array, piece: number): boolean {
  const frames = new ZstdFrames('layer 1');
  try {
    for (let at = 0; at < bytes.length; at += piece) frames.update(bytes.subarray(at, at + piece));
    frames.finish();
    return true;
  } catch (err) {
    assert.ok(err instanceof LayerError && err.kind === 'malformed', String(err));
    return false;
  }
}

describe('following zstd frames', () => {
  it('accepts whole frames and refuses data cut inside one, in pieces of any size', async (t) => {
    if (!zstdAvailable()) {
      t.skip('zstd CLI not installed');
      console.warn('SKIPPED: zstd CLI not installed; zstd frame test did not run');
      return;
    }
    // Text and random bytes: compressed, raw and RLE blocks, over several blocks, with the CLI's checksum.
    const layer = await buildLayer(
      [
        { path: 'usr/share/text', content: 'Package: libc6\n'.repeat(40_000) },
        { path: 'usr/share/zeros', zeros: 300_000 },
        { path: 'usr/share/random', content: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251)) },
      ],
      { compression: 'zstd' },
    );
    const bytes = layer.bytes;
    for (const piece of [1, 7, 4096, bytes.length]) assert.equal(endsWithFrame(bytes, piece), true, `pieces of ${piece}`);
    for (const cut of [1, 4, 5, 9, 100, Math.floor(bytes.length / 2), bytes.length - 4, bytes.length - 1]) {
      assert.equal(endsWithFrame(bytes.subarray(0, cut), 4096), false, `cut at ${cut} of ${bytes.length}`);
    }
    assert.equal(endsWithFrame(Buffer.concat([bytes, bytes]), 4096), true, 'two frames');
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    assert.equal(endsWithFrame(Buffer.concat([skippable, bytes]), 4096), true, 'a skippable frame first');
    assert.equal(endsWithFrame(Buffer.concat([bytes, Buffer.from('junk')]), 4096), false, 'junk after the frame');
    assert.equal(endsWithFrame(Buffer.alloc(0), 1), false, 'no frame at all');
  });
});
