import { spawn } from 'node:child_process';
import type { RegistryServer } from '../../test/support/registry-server.js';
import { measured, median } from './measure.js';

/**
 * The image benchmarks' baseline: `curl` of each blob piped through `gunzip` into
 * /dev/null, every blob at once, i.e. merely downloading and decompressing the layers.
 */
export function curlGunzip(registry: RegistryServer, repository: string, digests: readonly string[]): Promise<void> {
  const script = digests.map((digest) => `curl -sf ${registry.url}/v2/${repository}/blobs/${digest} | gunzip > /dev/null &`).join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${script}\nwait`], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl | gunzip exited with ${code}`))));
  });
}

export interface AgainstCurlGunzip {
  /** Median milliseconds of ours, and of the baseline. */
  oursMs: number;
  curlMs: number;
  /** Peak resident memory of this process while ours ran, and before the timed runs. */
  peakRss: number;
  baselineRss: number;
}

/**
 * Times `ours` against `curlGunzip` of the same blobs: untimed warm-ups first (JIT, zlib
 * set-up), then alternating timed runs, so that a burst of other work on the machine
 * slows both sides rather than one.
 */
export async function againstCurlGunzip(
  ours: () => Promise<void>,
  blobs: { registry: RegistryServer; repository: string; digests: readonly string[] },
  runs: { warmUp: number; timed: number },
): Promise<AgainstCurlGunzip> {
  const baseline = (): Promise<void> => curlGunzip(blobs.registry, blobs.repository, blobs.digests);
  for (let run = 0; run < runs.warmUp; run++) {
    await ours();
    await baseline();
  }
  const oursTimes: number[] = [];
  const curlTimes: number[] = [];
  const baselineRss = process.memoryUsage.rss();
  let peakRss = 0;
  for (let run = 0; run < runs.timed; run++) {
    const pull = await measured(ours);
    oursTimes.push(pull.ms);
    peakRss = Math.max(peakRss, pull.peakRss);
    curlTimes.push((await measured(baseline)).ms);
  }
  return { oursMs: median(oursTimes), curlMs: median(curlTimes), peakRss, baselineRss };
}
