import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kysely } from 'kysely';
import { createAdvisoryReadiness } from '../src/scanners/builtin/advisory-readiness.js';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { createBuiltinScanner } from '../src/scanners/builtin/builtin-scanner.js';
import { importOsvSources } from '../src/scanners/builtin/osv/osv-importer.js';
import { type HttpRequester, undiciRequester } from '../src/scanners/builtin/registry/http.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import type { ImageRef } from '../src/scanners/scanner.js';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import type { Database } from '../src/store/tables.js';
import { buildImage, buildLayer, pushImage, type LayerItem } from '../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_12_VERSIONS_BELOW_FIXES } from '../test/support/package-fixtures.js';
import { findRegistryBinary, startRegistry, type RegistryServer } from '../test/support/registry-server.js';
import { startCurlGunzip } from './support/curl-gunzip.js';
import { median } from './support/measure.js';
import type { BenchRow } from './support/table.js';

/**
 * The built-in scanner as the service runs it (`createBuiltinScanner().scanImage`), on an
 * image of ~50 MB compressed in the reference registry on loopback:
 *
 * - cold (no inventory stored): resolve, stream and decompress every layer, analyse,
 *   store the inventory, match. Compared with `curl` of the same blobs piped through
 *   `gunzip` into /dev/null, measured in the same run, every layer at once on both sides;
 * - warm (inventory stored): a rescan of the unchanged digest, which must download no
 *   blob and only match again.
 *
 * The image: three layers of random (incompressible) files, and a base layer with
 * os-release and a dpkg status of 3,000 synthetic packages plus the Debian 12 packages of
 * the test fixtures at versions with known CVEs, matched against the fixtures' advisories.
 * Peak RSS is this process's, sampled every 5 ms throughout.
 */

const RANDOM_LAYERS = 3;
const RANDOM_LAYER_BYTES = 16 * 1024 * 1024;
const FILE_BYTES = 1024 * 1024;
const SYNTHETIC_PACKAGES = 3_000;
const COLD_RUNS = 9;
const WARM_RUNS = 20;
/** Untimed runs first, so that JIT warm-up and zlib set-up do not count. */
const WARM_UP_RUNS = 2;
const TARGET_RATIO = 1.5;
const TARGET_WARM_MS = 100;
const TARGET_RSS_MIB = 300;
const FIXTURES = fileURLToPath(new URL('../test/fixtures/osv/debian-12/', import.meta.url));
const EXPECTED_FINDINGS = 10;

async function benchStatus(): Promise<string> {
  const fixture = await readFile(join(FIXTURES, 'dpkg-status'), 'utf8');
  const real = fixture.replace(/^Package: (\S+)([\s\S]*?)^Version: .*$/gm, (stanza: string, name: string) => {
    const version = DEBIAN_12_VERSIONS_BELOW_FIXES[name];
    return version ? stanza.replace(/^Version: .*$/m, `Version: ${version}`) : stanza;
  });
  const stanzas = [real.trimEnd()];
  for (let i = 0; i < SYNTHETIC_PACKAGES; i++) {
    stanzas.push(
      `Package: bench-pkg-${i}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: ${100 + i}\nMaintainer: Bench <bench@example.org>\nArchitecture: amd64\nSource: bench-src-${i % 700} (1.${i % 50}-1)\nVersion: 1.${i % 50}-1+b1\nDepends: libc6 (>= 2.34)\nDescription: synthetic package ${i}\n line one of a long description\n .\n line two`,
    );
  }
  return `${stanzas.join('\n\n')}\n`;
}

interface PushedImage {
  digests: string[];
  compressedBytes: number;
}

/** Builds and pushes the image; only digests and sizes outlive this function, so the image's buffers can be collected. */
async function pushBenchImage(registry: RegistryServer): Promise<PushedImage> {
  const base = await buildLayer([
    { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
    { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
    { path: 'var/lib/dpkg/status', content: await benchStatus() },
  ]);
  const layers = [base];
  for (let layer = 0; layer < RANDOM_LAYERS; layer++) {
    const items: LayerItem[] = [];
    for (let offset = 0; offset < RANDOM_LAYER_BYTES; offset += FILE_BYTES) items.push({ path: `opt/data${layer}/blob-${offset / FILE_BYTES}.bin`, content: randomBytes(FILE_BYTES) });
    layers.push(await buildLayer(items));
  }
  const image = buildImage(layers);
  await pushImage({ url: registry.url }, 'bench/app', 'latest', image);
  return { digests: layers.map((layer) => layer.digest), compressedBytes: layers.reduce((sum, layer) => sum + layer.size, 0) };
}

/** Counts the blob downloads the scanner's registry client makes. */
function countingRequester(counter: { blobGets: number }): HttpRequester {
  return (url, init) => {
    if (init.method === 'GET' && /\/blobs\/[a-z0-9]+:/.test(url.pathname)) counter.blobGets++;
    return undiciRequester(url, init);
  };
}

interface RssSampler {
  peak(): number;
  stop(): void;
}

function sampleRss(): RssSampler {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    stop: () => clearInterval(timer),
  };
}

/**
 * The collector, so that the image this benchmark built and pushed (some 100 MB of
 * buffers) is gone before memory is measured; `--expose-gc` set at run time, so that
 * `npm run bench` needs no flag.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 ** 2);
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

export async function benchBuiltinScan(): Promise<BenchRow[]> {
  if (!findRegistryBinary()) {
    console.warn('SKIPPED: docker-registry not installed; the built-in scanner benchmark did not run');
    return [];
  }
  const work = await mkdtemp(join(tmpdir(), 'bench-builtin-'));
  const registry = await startRegistry();
  const curlGunzip = startCurlGunzip();
  let db: Kysely<Database> | null = null;
  try {
    const pushed = await pushBenchImage(registry);
    db = openSqlite(join(work, 'bench.sqlite'));
    await migrateToLatest(db);
    const outcomes = await importOsvSources(db, [FIXTURES], { dataDir: work });
    if (!outcomes.every((outcome) => outcome.ok)) throw new Error(`the OSV fixtures did not import: ${JSON.stringify(outcomes)}`);

    const counter = { blobGets: 0 };
    const client = createRegistryClient({ insecureHosts: [registry.host], http: countingRequester(counter) });
    const scanner = createBuiltinScanner({
      db,
      client,
      readiness: createAdvisoryReadiness(db, { sources: [FIXTURES], importNow: () => null }),
      layerConcurrency: pushed.digests.length,
    });
    const config: ScanConfig = {
      id: 'bench',
      created: new Date(),
      region: null,
      registry: registry.host,
      repository: 'bench/app',
      tags: ['latest'],
      schedule: null,
      scanner: 'builtin',
      platform: null,
    };
    const signal = new AbortController().signal;
    const [image] = (await scanner.listImages(config, signal)).images;
    if (!image) throw new Error('the bench image was not listed');
    const database = db;
    const forget = () => database.deleteFrom('image_inventories').execute();
    const scan = async (ref: ImageRef): Promise<void> => {
      const outcome = await scanner.scanImage(config, ref, signal);
      if (outcome.findings.length !== EXPECTED_FINDINGS) throw new Error(`expected ${EXPECTED_FINDINGS} findings, got ${outcome.findings.length}`);
    };

    // The layer reading alone, as bench/image-scan.bench.ts measures it: what the scanner adds
    // (inventory stored, advisories matched) is the difference.
    const repository = { registry: registry.host, repository: 'bench/app' };
    const pullAndAnalyse = async (ref: ImageRef): Promise<void> => {
      const resolved = await client.resolveImage(repository, ref.digest, undefined, signal);
      await analyseImage({ blobs: registryBlobs(client, repository), layers: resolved.layers, concurrency: pushed.digests.length, signal });
    };

    for (let run = 0; run < WARM_UP_RUNS; run++) {
      await forget();
      await scan(image);
      await curlGunzip.run(registry, 'bench/app', pushed.digests);
    }

    collectGarbage();
    const baselineRss = process.memoryUsage.rss();
    const rss = sampleRss();
    const cold: number[] = [];
    const pullOnly: number[] = [];
    const curl: number[] = [];
    let coldBlobGets = 0;
    try {
      const steps = [
        async () => {
          await forget();
          const before = counter.blobGets;
          cold.push(await timed(() => scan(image)));
          coldBlobGets = counter.blobGets - before;
        },
        async () => curl.push(await timed(() => curlGunzip.run(registry, 'bench/app', pushed.digests))),
        async () => pullOnly.push(await timed(() => pullAndAnalyse(image))),
      ];
      // Each run starts with another of the three, so that none is always the one after another's garbage.
      for (let run = 0; run < COLD_RUNS; run++) {
        for (let step = 0; step < steps.length; step++) await steps[(run + step) % steps.length]?.();
      }
    } finally {
      rss.stop();
    }
    const coldPeak = rss.peak();

    const warmRss = sampleRss();
    const warm: number[] = [];
    const warmBefore = counter.blobGets;
    try {
      for (let run = 0; run < WARM_RUNS; run++) warm.push(await timed(() => scan(image)));
    } finally {
      warmRss.stop();
    }
    const warmBlobGets = counter.blobGets - warmBefore;
    const warmPeak = warmRss.peak();

    const coldMs = median(cold);
    const curlMs = median(curl);
    const pullMs = median(pullOnly);
    const warmMs = median(warm);
    const ratio = coldMs / curlMs;
    const size = `${(pushed.compressedBytes / 1024 ** 2).toFixed(1)} MiB`;
    const peakMib = mib(Math.max(coldPeak, warmPeak));
    const verdict = (met: boolean): string => (met ? 'pass' : 'FAIL');
    const row = (figure: string, ms: number | null, ratio: number | null, blobGets: number | null, rssMib: number | null, goal: string, result: string): BenchRow => ({
      figure,
      ms,
      'ratio to curl': ratio === null ? null : round(ratio, 2),
      'blob GETs': blobGets,
      'peak RSS MB': rssMib,
      goal,
      result,
    });
    return [
      row(
        `cold scan of a ${size} image (${pushed.digests.length} layers, ${SYNTHETIC_PACKAGES + 5} packages), median of ${COLD_RUNS}`,
        Math.round(coldMs),
        coldMs / curlMs,
        coldBlobGets,
        mib(coldPeak),
        `≤ ${TARGET_RATIO}× curl | gunzip`,
        verdict(coldMs / curlMs <= TARGET_RATIO),
      ),
      row('pull + analyse alone, same image (no inventory stored, no matching)', Math.round(pullMs), pullMs / curlMs, pushed.digests.length, null, 'none (context)', '—'),
      row('curl | gunzip > /dev/null of the same blobs, all at once', Math.round(curlMs), 1, pushed.digests.length, null, 'baseline', '—'),
      row(`warm rescan (inventory stored), median of ${WARM_RUNS}`, round(warmMs), null, warmBlobGets, mib(warmPeak), `< ${TARGET_WARM_MS} ms, 0 blob GETs`, verdict(warmMs < TARGET_WARM_MS && warmBlobGets === 0)),
      row('peak RSS of the process, cold and warm runs', null, null, null, peakMib, `< ${TARGET_RSS_MIB} MB`, verdict(peakMib < TARGET_RSS_MIB)),
      row('RSS before the timed runs (modules loaded, image pushed, collected)', null, null, null, mib(baselineRss), 'none (context)', '—'),
    ];
  } finally {
    await db?.destroy();
    await curlGunzip.stop();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchBuiltinScan());
}
