import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pushImage } from '../test/support/image-builder.js';
import { findRegistryBinary, startRegistry } from '../test/support/registry-server.js';
import { buildBenchImage } from './image-scan.bench.js';
import { buildService } from './support/build-service.js';
import { startCurlGunzip } from './support/curl-gunzip.js';
import { median } from './support/measure.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import type { BenchRow } from './support/table.js';

/**
 * `ecrscan image` as a pipeline runs it: a process of its own, compiled as `npm start`
 * runs it, scanning the ~48 MiB benchmark image of `image-scan` from the reference
 * registry on loopback.
 *
 * - cold: an empty local database each run (the few Debian 12 fixture advisories imported,
 *   every layer downloaded and analysed), against `curl | gunzip` of the same blobs plus
 *   the process start (`ecrscan image --help`, the same start without the scan): at most 1.5× that;
 * - warm: the same database again (inventory and advisories kept): the whole process
 *   within 300 ms.
 *
 * Runs alternate with the baseline, so that other work on the machine slows both.
 */

const RUNS = 5;
const COLD_TARGET = 1.5;
const WARM_TARGET_MS = 300;
const ADVISORIES = fileURLToPath(new URL('../test/fixtures/osv/debian-12/', import.meta.url));

async function timedProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`);
  return ms;
}

export async function benchCliImage(): Promise<BenchRow[]> {
  if (!findRegistryBinary()) {
    console.warn('SKIPPED: docker-registry not installed; the ecrscan image benchmark did not run');
    return [];
  }
  const main = await buildService(join(BENCH_DATA_DIR, 'build'));
  const registry = await startRegistry();
  const work = await mkdtemp(join(tmpdir(), 'bench-cli-image-'));
  const curl = startCurlGunzip();
  try {
    const image = await buildBenchImage();
    await pushImage({ url: registry.url }, 'bench/app', 'latest', image);
    const compressed = image.layers.reduce((sum, layer) => sum + layer.size, 0);
    const env = { ECRSCAN_OSV_SOURCES: ADVISORIES, ECRSCAN_INSECURE_REGISTRIES: registry.host };
    const scan = (cacheDir: string): Promise<number> => timedProcess([main, 'image', `${registry.host}/bench/app:latest`, '--format', 'json', '--cache-dir', cacheDir], env);
    const digests = image.layers.map((layer) => layer.digest);
    const baseline = async (): Promise<number> => {
      const started = performance.now();
      await curl.run(registry, 'bench/app', digests);
      return performance.now() - started;
    };

    // Untimed: the page cache, the registry's own warm-up.
    await scan(join(work, 'warm-up'));
    await baseline();
    const cold: number[] = [];
    const curlTimes: number[] = [];
    const starts: number[] = [];
    const bareStarts: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      cold.push(await scan(join(work, `cold-${run}`)));
      curlTimes.push(await baseline());
      starts.push(await timedProcess([main, 'image', '--help'], {}));
      bareStarts.push(await timedProcess(['-e', ''], {}));
    }
    const warmDir = join(work, 'cold-0');
    const warm: number[] = [];
    for (let run = 0; run < RUNS; run++) warm.push(await scan(warmDir));

    const reference = median(curlTimes) + median(starts);
    const coldRatio = median(cold) / reference;
    const verdict = (met: boolean): string => (met ? 'pass' : 'FAIL');
    return [
      {
        name: `ecrscan image, cold: ${(compressed / 1024 ** 2).toFixed(0)} MiB image, empty local database`,
        ms: Math.round(median(cold)),
        target: `≤ ${COLD_TARGET}× (curl | gunzip + process start)`,
        ratio: Number(coldRatio.toFixed(2)),
        result: verdict(coldRatio <= COLD_TARGET),
      },
      { name: 'curl | gunzip > /dev/null of the same blobs', ms: Math.round(median(curlTimes)), target: 'baseline', ratio: null, result: '—' },
      { name: 'process start: ecrscan image --help', ms: Math.round(median(starts)), target: 'baseline', ratio: null, result: '—' },
      { name: 'process start: node -e ""', ms: Math.round(median(bareStarts)), target: 'for reference', ratio: null, result: '—' },
      { name: 'ecrscan image, warm: inventory and advisories kept', ms: Math.round(median(warm)), target: `≤ ${WARM_TARGET_MS} ms`, ratio: Number((median(warm) / WARM_TARGET_MS).toFixed(2)), result: verdict(median(warm) <= WARM_TARGET_MS) },
    ];
  } finally {
    await curl.stop();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchCliImage());
}
