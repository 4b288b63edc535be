import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { createAnalysisPool } from '../src/scanners/builtin/analysis/analysis-pool.js';
import type { Inventory } from '../src/scanners/builtin/inventory.js';
import { ZSTD_DECODER } from '../src/scanners/builtin/layers/decompress.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { openStore } from '../src/store/open-store.js';
import { buildImage, buildLayer, pushImage, zstdAvailable, type BuiltImage, type Compression, type LayerItem } from '../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS_INSTALLED } from '../test/support/package-fixtures.js';
import { findRegistryBinary, startRegistry } from '../test/support/registry-server.js';
import { createTestService } from '../test/support/test-service.js';
import type { BenchRow } from './support/table.js';

/**
 * The API while an image is analysed, and zstd against gzip. One image of ~128 MiB of
 * tar (a dpkg status of 3,000 packages and four layers of code-like text, which
 * compresses about as much as a distribution's files do), pushed gzipped and as zstd to
 * the reference registry. Each is pulled and analysed in a worker thread, as the service
 * does, and on the main thread, as it did before; meanwhile the real HTTP API of the same
 * process is asked for `/healthz` every 10 ms, and its answer times are the latency figures.
 */

const TEXT_LAYERS = 4;
const TEXT_LAYER_BYTES = 32 * 1024 * 1024;
const FILE_BYTES = 512 * 1024;
const STATUS_PACKAGES = 3_000;
const RUNS = 3;
const PROBE_INTERVAL_MS = 10;

function code(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
}

function syntheticStatus(): string {
  const stanzas = [DEBIAN_STATUS_INSTALLED.trimEnd()];
  for (let i = 0; i < STATUS_PACKAGES; i++) {
    stanzas.push(`Package: bench-pkg-${i}\nStatus: install ok installed\nArchitecture: amd64\nSource: bench-src-${i % 700} (1.${i % 50}-1)\nVersion: 1.${i % 50}-1+b1\nDescription: synthetic package ${i}`);
  }
  return `${stanzas.join('\n\n')}\n`;
}

async function buildBenchImage(compression: Compression, text: readonly LayerItem[][]): Promise<BuiltImage> {
  const base = await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: syntheticStatus() }], { compression });
  const layers = [base];
  for (const items of text) layers.push(await buildLayer(items, { compression }));
  return buildImage(layers);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Runs `work` while asking the API for /healthz every 10 ms; returns the work's time and the answer times. */
async function probed(url: string, work: () => Promise<void>): Promise<{ ms: number; latencies: number[] }> {
  const latencies: number[] = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  })();
  const started = performance.now();
  try {
    await work();
  } finally {
    running = false;
  }
  const ms = performance.now() - started;
  await prober;
  return { ms, latencies: latencies.sort((a, b) => a - b) };
}

export async function benchScanLatency(): Promise<BenchRow[]> {
  if (!findRegistryBinary()) {
    console.warn('SKIPPED: docker-registry not installed; the scan latency benchmark did not run');
    return [];
  }
  const registry = await startRegistry();
  const store = await openStore(':memory:');
  const service = await createTestService(store);
  const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const pool = createAnalysisPool({ size: 1, memoryMb: 96 });
  try {
    const text: LayerItem[][] = [];
    for (let layer = 0; layer < TEXT_LAYERS; layer++) {
      const items: LayerItem[] = [];
      for (let offset = 0; offset < TEXT_LAYER_BYTES; offset += FILE_BYTES) items.push({ path: `usr/share/data${layer}/file-${offset / FILE_BYTES}.js`, content: code(FILE_BYTES) });
      text.push(items);
    }
    const formats: Compression[] = zstdAvailable() ? ['gzip', 'zstd'] : ['gzip'];
    if (!zstdAvailable()) console.warn('SKIPPED: zstd not installed; the zstd rows did not run');
    const client = createRegistryClient({ insecureHosts: [registry.host] });
    const rows: BenchRow[] = [];
    const medians = new Map<string, number>();
    for (const compression of formats) {
      const image = await buildBenchImage(compression, text);
      await pushImage({ url: registry.url }, `bench/${compression}`, 'latest', image);
      const compressed = image.layers.reduce((sum, layer) => sum + layer.size, 0);
      const repository = { registry: registry.host, repository: `bench/${compression}` };
      const resolved = await client.resolveImage(repository, 'latest');
      const request = { blobs: registryBlobs(client, repository), layers: resolved.layers, concurrency: TEXT_LAYERS + 1 };
      const check = (inventory: Inventory): void => {
        if (inventory.packages.length < STATUS_PACKAGES) throw new Error('the bench image was not analysed');
      };
      const modes = {
        'worker thread': async () => check(await pool.analyse(request, new AbortController().signal)),
        'main thread': async () => check(await analyseImage(request)),
      };
      for (const [mode, work] of Object.entries(modes)) {
        await work();
        const times: number[] = [];
        const latencies: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          const result = await probed(url, work);
          times.push(result.ms);
          latencies.push(...result.latencies);
        }
        latencies.sort((a, b) => a - b);
        const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
        medians.set(`${compression} ${mode}`, median);
        rows.push({
          name: `${compression} image, analysed on the ${mode}`,
          compressedMiB: Number((compressed / 1024 ** 2).toFixed(1)),
          ms: Math.round(median),
          apiP50Ms: Number(percentile(latencies, 50).toFixed(1)),
          apiP99Ms: Number(percentile(latencies, 99).toFixed(1)),
          apiMaxMs: Number((latencies.at(-1) ?? 0).toFixed(1)),
          target: mode === 'worker thread' ? 'API p99 ≤ 50 ms' : 'before: for comparison',
        });
      }
    }
    const gzip = medians.get('gzip worker thread');
    const zstd = medians.get('zstd worker thread');
    if (gzip && zstd) {
      const ratio = zstd / gzip;
      rows.push({ name: `zstd / gzip, same content, worker thread (zstd decoder: ${ZSTD_DECODER}, Node.js ${process.version})`, ratio: Number(ratio.toFixed(2)), target: '≤ 1.2×', result: ratio <= 1.2 ? 'pass' : 'FAIL' });
    }
    return rows;
  } finally {
    await pool.close();
    await service.close();
    await registry.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchScanLatency());
}
