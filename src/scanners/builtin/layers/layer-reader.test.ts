import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { buildLayer, tarOf, zstdAvailable, type Compression, type LayerItem } from '../../../../test/support/image-builder.js';
import { chunksOf } from '../stream-chunks.js';
import { sniffFormat, ZSTD_DECODER, zstdWindowSize } from './decompress.js';
import { ImageBudget } from './image-budget.js';
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

  it('notes a file of interest above the per-file cap without reading it, and reads on', async () => {
    const huge = await buildLayer([
      { path: 'var/lib/dpkg/status', zeros: 300 * 1024 * 1024 },
      { path: 'var/lib/dpkg/status.d/hard', hardlink: 'var/lib/dpkg/status' },
      { path: 'etc/os-release', content: 'ID=debian\n' },
    ]);
    const started = Date.now();
    const contents = await readLayer(streamOf(huge.bytes), selector, DEFAULT_LAYER_LIMITS, 'layer 1');
    assert.deepEqual(contents.entries.get('var/lib/dpkg/status'), { kind: 'too-large', size: 300 * 1024 * 1024, limit: 64 * 1024 * 1024 });
    assert.deepEqual(contents.entries.get('var/lib/dpkg/status.d/hard'), { kind: 'too-large', size: 300 * 1024 * 1024, limit: 64 * 1024 * 1024 });
    const osRelease = contents.entries.get('etc/os-release');
    assert.equal(osRelease?.kind === 'file' && osRelease.data.toString(), 'ID=debian\n', 'the entries after it are read');
    assert.ok(Date.now() - started < 10_000, 'stepped over, not buffered');
  });

  it('counts a file over the per-file cap against neither the per-file nor the per-layer budget', async () => {
    const items: LayerItem[] = [
      { path: 'var/lib/dpkg/status', content: Buffer.alloc(5000, 65) },
      { path: 'var/lib/dpkg/status.d/a', content: Buffer.alloc(1000, 65) },
    ];
    const contents = await read(items, 'gzip', { maxFileBytes: 2000, maxKeptBytes: 1500 });
    assert.deepEqual(contents.entries.get('var/lib/dpkg/status'), { kind: 'too-large', size: 5000, limit: 2000 });
    assert.equal(contents.entries.get('var/lib/dpkg/status.d/a')?.kind, 'file');
  });

  it('bounds the bytes kept from one layer', async () => {
    const items: LayerItem[] = Array.from({ length: 5 }, (_, i) => ({ path: `var/lib/dpkg/status.d/p${i}`, content: Buffer.alloc(1000, 65) }));
    await assert.rejects(read(items, 'gzip', { maxKeptBytes: 3000 }), isLayerError('too-large', /files read for analysis exceed/));
  });

  it('counts the names and link targets it keeps against the same bound', async () => {
    const items: LayerItem[] = Array.from({ length: 10 }, (_, i) => ({ path: `var/lib/dpkg/status.d/link${i}`, symlink: `../${'x'.repeat(2000)}` }));
    const kept = await read(items, 'gzip', { maxKeptBytes: 30_000 });
    assert.deepEqual(kept.entries.get('var/lib/dpkg/status.d/link9'), { kind: 'symlink', target: `../${'x'.repeat(2000)}` });
    await assert.rejects(read(items, 'gzip', { maxKeptBytes: 10_000 }), isLayerError('too-large', /files read for analysis exceed/));
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

  it('fails corrupt zstd data as malformed, with the decoder this Node.js has', async (t) => {
    // Node's own decoder where Node.js has one (22.15 on), else fzstd: the tests run on whichever is used.
    assert.equal(ZSTD_DECODER, typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function' ? 'native' : 'fzstd');
    if (!zstdAvailable()) {
      t.skip('zstd CLI not installed');
      console.warn('SKIPPED: zstd CLI not installed; corrupt zstd test did not run');
      return;
    }
    const layer = await buildLayer([{ path: 'var/lib/dpkg/status', content: randomBytes(50_000) }], { compression: 'zstd' });
    const corrupt = Buffer.from(layer.bytes);
    corrupt.fill(0x55, 20, 2000);
    // Node's decoder checks the frame's checksum; fzstd does not, and the tar reader then finds a broken header.
    await assert.rejects(readLayer(streamOf(corrupt), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed'));
    const truncated = layer.bytes.subarray(0, Math.floor(layer.size / 2));
    await assert.rejects(readLayer(streamOf(truncated), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed'));
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

/** GNU tar's own archive of a directory, in one of the formats image builders write. */
function gnuTar(format: 'gnu' | 'pax' | 'ustar', dir: string, paths: readonly string[], options: readonly string[] = []): Buffer {
  const run = spawnSync('tar', ['-c', `--format=${format}`, ...options, '-C', dir, ...paths], { maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`tar failed: ${run.stderr.toString()}`);
  return run.stdout;
}

function gnuTarAvailable(): boolean {
  return spawnSync('tar', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The same header with its size field in GNU's base-256 form, and its checksum made right again. */
function withBase256Size(tar: Buffer, headerAt: number, size: bigint): Buffer {
  const patched = Buffer.from(tar);
  patched.fill(0, headerAt + 124, headerAt + 136);
  patched[headerAt + 124] = 0x80;
  patched.writeBigUInt64BE(size, headerAt + 128);
  patched.fill(0x20, headerAt + 148, headerAt + 156);
  let sum = 0;
  for (let i = headerAt; i < headerAt + 512; i++) sum += patched[i] ?? 0;
  patched.write(`${sum.toString(8).padStart(6, '0')}\0 `, headerAt + 148, 'latin1');
  return patched;
}

describe('tar formats', () => {
  const anywhere = createPathSelector({ keep: ['**/keep-me'], note: [] });
  const longDir = `opt/${'n'.repeat(120)}`;
  const longTarget = `../${'t'.repeat(150)}/target`;

  function tree(): string {
    const dir = mkdtempSync(join(tmpdir(), 'layer-formats-'));
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write(`${longDir}/keep-me`, 'from a long path');
    write('opt/short/keep-me', 'from a short path');
    mkdirSync(join(dir, 'opt/linked'), { recursive: true });
    linkSync(join(dir, longDir, 'keep-me'), join(dir, 'opt/linked/keep-me'));
    symlinkSync(longTarget, join(dir, 'opt/long-link'));
    return dir;
  }

  for (const format of ['gnu', 'pax'] as const) {
    it(`reads long names, long link targets and hard links as GNU tar writes them (${format})`, async (t) => {
      if (!gnuTarAvailable()) {
        t.skip('GNU tar not installed');
        console.warn('SKIPPED: tar not installed; the GNU tar format test did not run');
        return;
      }
      const dir = tree();
      try {
        // A global pax header (as `git archive` writes one) must not disturb the entries after it.
        const options = format === 'pax' ? ['--pax-option=comment=built for a test'] : [];
        const tar = gnuTar(format, dir, ['opt'], options);
        const contents = await readLayer(streamOf(gzipSync(tar)), anywhere, DEFAULT_LAYER_LIMITS, 'layer 1');
        const text = (path: string): string | false => {
          const entry = contents.entries.get(path);
          return entry?.kind === 'file' && entry.data.toString();
        };
        assert.equal(text(`${longDir}/keep-me`), 'from a long path');
        assert.equal(text('opt/short/keep-me'), 'from a short path');
        assert.ok(text('opt/linked/keep-me'), 'the hard link shares the content tar stored once');
        assert.deepEqual(contents.entries.get('opt/long-link'), { kind: 'symlink', target: longTarget });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('reads names split into ustar’s prefix and name fields', async (t) => {
    if (!gnuTarAvailable()) {
      t.skip('GNU tar not installed');
      console.warn('SKIPPED: tar not installed; the ustar format test did not run');
      return;
    }
    const dir = tree();
    try {
      const tar = gnuTar('ustar', dir, [`${longDir}/keep-me`, 'opt/short/keep-me']);
      const contents = await readLayer(streamOf(tar), anywhere, DEFAULT_LAYER_LIMITS, 'layer 1');
      assert.deepEqual([...contents.entries.keys()].sort(), [`${longDir}/keep-me`, 'opt/short/keep-me']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the same entries however the bytes are cut into chunks', async () => {
    const tar = await tarOf(sample);
    const whole = await readLayer(streamOf(tar, tar.length), selector, DEFAULT_LAYER_LIMITS, 'layer 1');
    for (const chunkSize of [3, 511, 513, 4096]) {
      const contents = await readLayer(streamOf(tar, chunkSize), selector, DEFAULT_LAYER_LIMITS, 'layer 1');
      assert.deepEqual(contents, whole, `chunks of ${chunkSize} bytes`);
    }
    assert.equal(whole.entries.size, 7);
  });

  it('reads a size in GNU’s base-256 form', async () => {
    const tar = withBase256Size(await tarOf([{ path: 'var/lib/dpkg/status', content: 'Package: a\n' }]), 0, 11n);
    const contents = await readLayer(streamOf(tar), selector, DEFAULT_LAYER_LIMITS, 'layer 1');
    const status = contents.entries.get('var/lib/dpkg/status');
    assert.equal(status?.kind === 'file' && status.data.toString(), 'Package: a\n');
  });

  it('fails headers it cannot trust as malformed', async () => {
    const tar = await tarOf([{ path: 'var/lib/dpkg/status', content: 'Package: a\n' }]);
    const reject = (bytes: Buffer, pattern: RegExp): Promise<void> =>
      assert.rejects(readLayer(streamOf(bytes), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed', pattern));
    const two = await tarOf([{ path: 'a', content: 'x' }, { path: 'var/lib/dpkg/status', content: 'Package: a\n' }]);
    await reject(two.subarray(0, 1024 + 300), /Unexpected end of data/); // inside the second header
    await reject(withBase256Size(tar, 0, 2n ** 60n), /size field/);
    const v7 = Buffer.from(tar);
    v7.fill(0, 257, 265);
    await reject(withChecksum(v7), /unknown format/);
    const badSize = Buffer.from(tar);
    badSize.write('00000000x11\0', 124, 'latin1');
    await reject(withChecksum(badSize), /Invalid tar header/);
  });

  it('fails a malformed pax record as malformed', async () => {
    const long = `var/lib/dpkg/status.d/${'x'.repeat(150)}`;
    const tar = Buffer.from(await tarOf([{ path: long, content: 'Package: a\n' }]));
    const record = tar.indexOf(' path=');
    assert.ok(record > 512, 'tar-stream writes the long name as a pax record');
    tar.write('9', record - 3, 'latin1'); // the record's length no longer ends at its newline
    await assert.rejects(readLayer(streamOf(tar), selector, DEFAULT_LAYER_LIMITS, 'layer 1'), isLayerError('malformed', /pax record/));
  });
});

/** The header at the start of `tar` with its checksum recomputed after an edit. */
function withChecksum(tar: Buffer): Buffer {
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i] ?? 0;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return tar;
}

describe('the chunks of a blob', () => {
  it('come as the stream gave them, not joined into copies, with the stream paused while the reader lags', async () => {
    const given = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000, i));
    const stream = new Readable({ read() {} });
    for (const chunk of given) stream.push(chunk);
    stream.push(null);
    const seen: Buffer[] = [];
    for await (const chunk of chunksOf(stream)) {
      seen.push(chunk);
      if (seen.length === 1) {
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(stream.isPaused(), true, 'paused while the reader is behind');
      }
    }
    assert.equal(seen.length, given.length);
    seen.forEach((chunk, i) => assert.equal(chunk, given[i], `chunk ${i} is the very buffer pushed`));
  });

  it('end in the stream’s error, and abandon the stream when the reader stops early', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.from('a'));
    failing.destroy(new Error('digest mismatch'));
    await assert.rejects(async () => {
      for await (const _ of chunksOf(failing)) void _;
    }, /digest mismatch/);
    const long = Readable.from(Array.from({ length: 100 }, () => Buffer.alloc(10)));
    for await (const _ of chunksOf(long)) break;
    assert.equal(long.destroyed, true);
  });
});

describe('decoder windows', () => {
  const selector = createPathSelector({ keep: ['var/lib/dpkg/status'], note: [] });

  /** A zstd frame header: magic, a descriptor without single segment, and a window descriptor. */
  function zstdHead(windowDescriptor: number): Buffer {
    return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor]), Buffer.alloc(600)]);
  }

  it('reads the window a zstd frame asks for from its header', () => {
    assert.equal(zstdWindowSize(zstdHead(0x00)), 1024, 'window log 10');
    assert.equal(zstdWindowSize(zstdHead((17 << 3) | 4)), 2 ** 27 + 2 ** 27 / 2, 'window log 27, mantissa 4');
    // A single-segment frame's window is its content size (here a 2-byte field: 256 + value).
    assert.equal(zstdWindowSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x10, 0x00])), 256 + 16);
    assert.equal(zstdWindowSize(Buffer.from('not zstd at all, not zstd at all')), null);
  });

  it('refuses a zstd layer whose window is over zstd’s default limit, before decoding anything', async () => {
    await assert.rejects(
      readLayer(Readable.from([zstdHead(21 << 3)]), selector, DEFAULT_LAYER_LIMITS, 'layer 1'),
      (err: unknown) => err instanceof LayerError && err.kind === 'too-large' && /layer 1 is zstd data with a 2 GiB window, more than the 128 MiB decoders accept by default/.test(err.message),
    );
  });

  it('counts a decoder window against the image budget', async () => {
    await assert.rejects(
      readLayer(Readable.from([zstdHead(16 << 3)]), selector, DEFAULT_LAYER_LIMITS, 'layer 1', new ImageBudget(32 * 1024 * 1024)),
      (err: unknown) => err instanceof LayerError && /layer 1: the image needs more than the 32 MiB one image scan may hold/.test(err.message),
    );
  });
});
