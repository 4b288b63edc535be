import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildLayer, zstdAvailable, type BuiltLayer } from '../../../../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS } from '../../../../test/support/package-fixtures.js';
import { ScanError } from '../../scanner.js';
import { AnalyserError } from '../analysers/analyser.js';
import { analyseImage } from '../analysers/analyse-image.js';
import { LayerError } from '../layers/layer-error.js';
import type { BlobOpener } from '../layers/read-image.js';
import { createAnalysisPool } from './analysis-pool.js';

/** Serves layers from memory in 16 KiB chunks, as a registry would; `hang` layers never end. */
function blobsOf(layers: readonly BuiltLayer[], options: { failing?: Error; hang?: boolean } = {}): BlobOpener {
  return {
    async openBlob(digest) {
      const layer = layers.find((candidate) => candidate.digest === digest);
      if (!layer) throw new Error(`no blob ${digest}`);
      if (options.hang) return new Readable({ read() {} });
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < layer.bytes.length; offset += 16 * 1024) chunks.push(layer.bytes.subarray(offset, offset + 16 * 1024));
      const failing = options.failing;
      if (!failing) return Readable.from(chunks);
      return Readable.from(
        (async function* () {
          yield chunks[0] as Buffer;
          throw failing;
        })(),
      );
    },
  };
}

const debianLayer = (compression: 'gzip' | 'zstd' = 'gzip') =>
  buildLayer(
    [
      { path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE },
      { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS },
      { path: 'srv/app/node_modules/left-pad/package.json', content: '{"name":"left-pad","version":"1.3.0"}' },
    ],
    { compression },
  );

describe('analysis in worker threads', () => {
  it('gives the inventory the same analysis gives in process, for gzip and zstd layers', async () => {
    const pool = createAnalysisPool({ size: 2, memoryMb: 64 });
    for (const compression of zstdAvailable() ? (['gzip', 'zstd'] as const) : (['gzip'] as const)) {
      const layers = [await debianLayer(compression)];
      const inWorker = await pool.analyse({ blobs: blobsOf(layers), layers }, new AbortController().signal);
      const inProcess = await analyseImage({ blobs: blobsOf(layers), layers });
      assert.deepEqual(inWorker, inProcess, compression);
      assert.equal(inWorker.packages.length, 7, compression);
    }
  });

  it('keeps the class, kind and status of the image’s own failures', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 64 });
    const hostile = [await buildLayer([{ path: '../../etc/passwd', content: 'x' }])];
    await assert.rejects(pool.analyse({ blobs: blobsOf(hostile), layers: hostile }, new AbortController().signal), (err: unknown) => err instanceof LayerError && err.kind === 'unsafe-path' && err.status === 'FAILED');
    const malformed = [await buildLayer([{ path: 'var/lib/dpkg/status', content: 'Package: a\n broken' }])];
    await assert.rejects(pool.analyse({ blobs: blobsOf(malformed), layers: malformed }, new AbortController().signal), (err: unknown) => err instanceof AnalyserError && /malformed/.test(err.message));
  });

  it('rethrows a download’s own error, not a copy', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 64 });
    const layers = [await buildLayer([{ path: 'var/lib/dpkg/status', content: DEBIAN_STATUS.repeat(200) }])];
    const failing = new Error('digest mismatch on the wire');
    await assert.rejects(pool.analyse({ blobs: blobsOf(layers, { failing }), layers }, new AbortController().signal), (err: unknown) => err === failing);
  });

  it('fails an image whose layers together hold more than its budget, naming the setting', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 16 });
    // Two layers, each with a 10 MiB package database: under the per-file and per-layer caps, over the image's 16 MiB.
    const layers = [
      await buildLayer([{ path: 'var/lib/dpkg/status', content: Buffer.alloc(10 * 1024 * 1024, 'a') }]),
      await buildLayer([{ path: 'var/lib/dpkg/status.d/big', content: Buffer.alloc(10 * 1024 * 1024, 'b') }]),
    ];
    await assert.rejects(
      pool.analyse({ blobs: blobsOf(layers), layers, concurrency: 1 }, new AbortController().signal),
      (err: unknown) => err instanceof LayerError && err.kind === 'too-large' && /more than the 16 MiB one image scan may hold \(ECRSCAN_IMAGE_MEMORY_MB\)/.test(err.message),
    );
  });

  it('fails an image whose analysis needs more heap than its budget, naming the setting, and goes on with the next', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 32 });
    // 17 MiB of status (under the buffer budget) whose 190,000 parsed packages do not fit a 32 MiB heap.
    const stanzas: string[] = [];
    for (let i = 0; i < 190_000; i++) stanzas.push(`Package: p${i}\nStatus: install ok installed\nVersion: 1.${i}-1\nSource: s${i} (1.${i}-1)\n`);
    const layers = [await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: stanzas.join('\n') }])];
    await assert.rejects(
      pool.analyse({ blobs: blobsOf(layers), layers }, new AbortController().signal),
      (err: unknown) => err instanceof ScanError && err.status === 'FAILED' && err.message === 'the image needs more than the 32 MiB one image scan may use (ECRSCAN_IMAGE_MEMORY_MB)',
    );
    const small = [await debianLayer()];
    assert.equal((await pool.analyse({ blobs: blobsOf(small), layers: small }, new AbortController().signal)).packages.length, 7, 'a new worker takes the next image');
  });

  it('ends the worker when the scan is aborted, and frees its place in the pool', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 64 });
    const layers = [await debianLayer()];
    const controller = new AbortController();
    const hanging = pool.analyse({ blobs: blobsOf(layers, { hang: true }), layers }, controller.signal);
    setTimeout(() => controller.abort(new Error('scan deadline')), 200);
    await assert.rejects(hanging, /scan deadline/);
    const inventory = await pool.analyse({ blobs: blobsOf(layers), layers }, new AbortController().signal);
    assert.equal(inventory.packages.length, 7, 'the only slot is free again');
  });

  it('lets requests wait for a free worker, and aborts a waiting one', async () => {
    const pool = createAnalysisPool({ size: 1, memoryMb: 64 });
    const layers = [await debianLayer()];
    const busy = new AbortController();
    const first = pool.analyse({ blobs: blobsOf(layers, { hang: true }), layers }, busy.signal);
    const waiting = new AbortController();
    const second = pool.analyse({ blobs: blobsOf(layers), layers }, waiting.signal);
    waiting.abort(new Error('gave up waiting'));
    await assert.rejects(second, /gave up waiting/);
    busy.abort(new Error('done'));
    await assert.rejects(first, /done/);
    await pool.close();
  });
});
