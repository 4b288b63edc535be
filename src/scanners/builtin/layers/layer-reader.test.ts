import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildLayer, tarOf, zstdAvailable, type Compression, type LayerItem } from '../../../../test/support/image-builder.js';
import { sniffFormat } from './decompress.js';
import { LayerError } from './layer-error.js';
import { DEFAULT_LAYER_LIMITS, readLayer, type LayerContents, type LayerLimits } from './layer-reader.js';
import { createPathSelector } from './path-selector.js';

const selector = createPathSelector({
  keep: ['etc/os-release', 'usr/lib/os-release', 'var/lib/dpkg/status', 'var/lib/dpkg/status.d/*'],
  note: ['var/lib/rpm/rpmdb.sqlite'],
});

function streamOf(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

async function read(items: LayerItem[], compression: Compression = 'gzip', limits: Partial<LayerLimits> = {}): Promise<LayerContents> {
  const layer = await buildLayer(items, { compression });
  return readLayer(streamOf(layer.bytes), selector, { ...DEFAULT_LAYER_LIMITS, ...limits }, 'layer 1');
}

function isLayerError(kind: LayerError['kind'], pattern?: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof LayerError && err.kind === kind && (!pattern || pattern.test(err.message));
}

const sample: LayerItem[] = [
  { path: 'etc/', directory: true },
  { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
  { path: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { path: 'usr/bin/bash', content: Buffer.alloc(100_000, 7) },
  { path: './var/lib/dpkg/status', content: 'Package: a\n' },
  { path: 'var/lib/dpkg/status.d/libc6', content: 'Package: libc6\n' },
  { path: 'var/lib/dpkg/status.d/deeper/x', content: 'not read' },
  { path: 'var/lib/dpkg/status.d/.wh.removed-package', content: '' },
  { path: 'var/lib/dpkg/status.d/.wh..wh..opq', content: '' },
  { path: 'usr/share/.wh.doc', content: '' },
  { path: 'var/lib/rpm/rpmdb.sqlite', content: 'SQLite format 3\0' },
  { path: 'var/lib/dpkg/status.d/hard', hardlink: 'var/lib/dpkg/status.d/libc6' },
];

describe('reading a layer', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`keeps only the paths of interest of a ${compression} layer`, async (t) => {
      if (compression === 'zstd' && !zstdAvailable()) {
        t.skip('zstd CLI not installed');
        console.warn('SKIPPED: zstd CLI not installed; zstd layer test did not run');
        return;
      }
      const contents = await read(sample, compression);
      assert.deepEqual([...contents.entries.keys()].sort(), [
        'etc',
        'etc/os-release',
        'usr/lib/os-release',
        'var/lib/dpkg/status',
        'var/lib/dpkg/status.d/hard',
        'var/lib/dpkg/status.d/libc6',
        'var/lib/rpm/rpmdb.sqlite',
      ]);
      assert.deepEqual(contents.entries.get('etc/os-release'), { kind: 'symlink', target: '../usr/lib/os-release' });
      const status = contents.entries.get('var/lib/dpkg/status');
      assert.equal(status?.kind === 'file' && status.data.toString(), 'Package: a\n');
      const hard = contents.entries.get('var/lib/dpkg/status.d/hard');
      assert.equal(hard?.kind === 'file' && hard.data.toString(), 'Package: libc6\n');
      assert.deepEqual(contents.entries.get('var/lib/rpm/rpmdb.sqlite'), { kind: 'present' });
      assert.deepEqual(contents.whiteouts, ['var/lib/dpkg/status.d/removed-package'], 'whiteouts elsewhere (usr/share/doc) are of no interest');
      assert.deepEqual(contents.opaqueDirs, ['var/lib/dpkg/status.d']);
    });
  }

  it('sniffs the format from the bytes, not from what the layer claims to be', async () => {
    const tar = await tarOf([{ path: 'a', content: 'b' }]);
    assert.equal(sniffFormat(tar), 'tar');
    assert.equal(sniffFormat(gzipSync(tar)), 'gzip');
    assert.equal(sniffFormat(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
    assert.equal(sniffFormat(Buffer.alloc(1024)), 'tar');
    assert.equal(sniffFormat(Buffer.from('PK\x03\x04 not a layer'.padEnd(600, ' '))), null);
  });

  it('refuses a blob that is no tar archive', async () => {
    await assert.rejects(
      readLayer(streamOf(Buffer.from('{"not":"a layer"}'.padEnd(2048, ' '))), selector, DEFAULT_LAYER_LIMITS, 'layer 1'),
      (err: unknown) => isLayerError('unsupported-format')(err) && (err as LayerError).status === 'UNSUPPORTED_IMAGE',
    );
  });
});

describe('hostile layers', () => {
  it('refuses names that climb out with ".."', async () => {
    await assert.rejects(read([{ path: 'etc/ok', content: 'x' }, { path: '../../etc/cron.d/evil', content: 'x' }]), isLayerError('unsafe-path', /"\.\.\/\.\.\/etc\/cron\.d\/evil" climbs out/));
    await assert.rejects(read([{ path: 'var/lib/dpkg/../../../../status', content: 'x' }]), isLayerError('unsafe-path'));
  });

  it('refuses absolute names and hard links that climb out', async () => {
    await assert.rejects(read([{ path: '/etc/passwd', content: 'root::0:0::/:/bin/sh' }]), isLayerError('unsafe-path', /absolute path/));
    await assert.rejects(read([{ path: 'var/lib/dpkg/status', hardlink: '../../../etc/shadow' }]), isLayerError('unsafe-path'));
  });

  it('stops a gzip bomb at the per-layer cap, without reading it all', async () => {
    const bomb = await buildLayer([{ path: 'usr/share/zeros', zeros: 256 * 1024 * 1024 }]);
    assert.ok(bomb.size < 2 * 1024 * 1024, `a ${bomb.size}-byte layer expanding to 256 MiB`);
    const blob = streamOf(bomb.bytes);
    const started = Date.now();
    await assert.rejects(
      readLayer(blob, selector, { ...DEFAULT_LAYER_LIMITS, maxLayerBytes: 16 * 1024 * 1024 }, 'layer 1'),
      isLayerError('too-large', /larger than the 16 MiB allowed per layer/),
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(blob.destroyed, true, 'the download is abandoned');
  });

  it('stops a zstd bomb at the per-layer cap', async (t) => {
    if (!zstdAvailable()) {
      t.skip('zstd CLI not installed');
      console.warn('SKIPPED: zstd CLI not installed; zstd bomb test did not run');
      return;
    }
    const bomb = await buildLayer([{ path: 'usr/share/zeros', zeros: 128 * 1024 * 1024 }], { compression: 'zstd' });
    await assert.rejects(readLayer(streamOf(bomb.bytes), selector, { ...DEFAULT_LAYER_LIMITS, maxLayerBytes: 8 * 1024 * 1024 }, 'layer 1'), isLayerError('too-large'));
  });

  it('refuses a file of interest above the per-file cap, from its header alone', async () => {
    const huge = await buildLayer([{ path: 'var/lib/dpkg/status', zeros: 300 * 1024 * 1024 }]);
    const started = Date.now();
    await assert.rejects(
      readLayer(streamOf(huge.bytes), selector, DEFAULT_LAYER_LIMITS, 'layer 1'),
      isLayerError('too-large', /var\/lib\/dpkg\/status is larger than the 64 MiB read per file/),
    );
    assert.ok(Date.now() - started < 3000, 'refused before decompressing 300 MiB');
  });

  it('bounds the bytes kept from one layer', async () => {
    const items: LayerItem[] = Array.from({ length: 5 }, (_, i) => ({ path: `var/lib/dpkg/status.d/p${i}`, content: Buffer.alloc(1000, 65) }));
    await assert.rejects(read(items, 'gzip', { maxKeptBytes: 3000 }), isLayerError('too-large', /files read for analysis exceed/));
  });

  it('bounds the number of entries', async () => {
    const items: LayerItem[] = Array.from({ length: 50 }, (_, i) => ({ path: `usr/share/f${i}`, content: 'x' }));
    await assert.rejects(read(items, 'gzip', { maxEntries: 10 }), isLayerError('too-large', /more than 10 entries/));
  });

  it('fails truncated or corrupt archives as malformed', async () => {
    const layer = await buildLayer([{ path: 'var/lib/dpkg/status', content: randomBytes(50_000) }]);
    const truncatedGzip = layer.bytes.subarray(0, Math.floor(layer.size / 2));
    await assert.rejects(readLayer(streamOf(truncatedGzip), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed'));
    const tar = await tarOf([{ path: 'var/lib/dpkg/status', content: Buffer.alloc(50_000, 65) }]);
    await assert.rejects(readLayer(streamOf(tar.subarray(0, 20_000)), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed'));
    const badHeader = Buffer.from(await tarOf([{ path: 'a', content: 'x' }, { path: 'var/lib/dpkg/status', content: 'y' }]));
    badHeader[1024 + 3] = 0x7a; // the second header's name, so its checksum no longer matches
    await assert.rejects(readLayer(streamOf(badHeader), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed', /Invalid tar header/));
    const corrupt = Buffer.from(layer.bytes);
    corrupt.fill(0x55, 20, 2000);
    await assert.rejects(readLayer(streamOf(corrupt), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed', /gzip data is corrupt/));
  });

  it('passes the blob’s own failure (a digest mismatch) through unchanged', async () => {
    const layer = await buildLayer([{ path: 'var/lib/dpkg/status', content: 'Package: a\n' }]);
    const failing = new Readable({
      read() {
        this.push(layer.bytes.subarray(0, 30));
        this.destroy(new Error('blob sha256:x: content hashes to sha256:y'));
      },
    });
    await assert.rejects(readLayer(failing, selector, DEFAULT_LAYER_LIMITS, 'layer 1'), /content hashes to/);
  });
});
