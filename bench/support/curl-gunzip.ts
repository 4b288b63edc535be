import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { RegistryServer } from '../../test/support/registry-server.js';
import { measured, median } from './measure.js';

/**
 * The image benchmarks' baseline: `curl` of each blob piped through `gunzip` into
 * /dev/null, every blob at once, i.e. merely downloading and decompressing the layers.
 *
 * The pipelines are started by one shell kept for the whole benchmark, not spawned from
 * this process each time: forking a process of some 300 MB marks all of its memory
 * copy-on-write, and every page it touches after that faults once more (about 15 µs
 * each on the benchmark machine), which made the timed scan right after each fork
 * 200–250 ms slower. A scanner in production never forks between scans.
 */
export interface CurlGunzip {
  run(registry: RegistryServer, repository: string, digests: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/** The decompressor the baseline pipes each blob through: `gunzip`, or `zstd -dcq` for zstd layers. */
export type BaselineDecompressor = 'gunzip' | 'zstd';

export function startCurlGunzip(decompressor: BaselineDecompressor = 'gunzip'): CurlGunzip {
  const command = decompressor === 'zstd' ? 'zstd -dcq' : 'gunzip';
  const shell = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: shell.stdout });
  const waiting = new Map<number, (status: string) => void>();
  let next = 0;
  lines.on('line', (line) => {
    const [marker, id, status] = line.split(' ');
    if (marker === 'done') waiting.get(Number(id))?.(status ?? '');
  });
  const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
  return {
    run(registry, repository, digests) {
      const id = next++;
      const pipelines = digests.map((digest) => `(curl -sf ${registry.url}/v2/${repository}/blobs/${digest} | ${command} > /dev/null) & pids="$pids $!"`);
      // The decompressor fails on the empty or cut input a failed curl leaves, so its status covers both.
      const script = ['pids=""', ...pipelines, 'status=0', 'for pid in $pids; do wait $pid || status=1; done', `echo done ${id} $status`, ''].join('\n');
      return new Promise((resolve, reject) => {
        waiting.set(id, (status) => {
          waiting.delete(id);
          if (status === '0') resolve();
          else reject(new Error(`curl | ${command} failed for ${repository}`));
        });
        shell.stdin.write(script);
      });
    },
    async stop() {
      shell.stdin.end();
      await exited;
    },
  };
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
 * Times `ours` against `curl | gunzip` of the same blobs: untimed warm-ups first (JIT,
 * zlib set-up), then alternating timed runs, so that a burst of other work on the machine
 * slows both sides rather than one.
 */
export async function againstCurlGunzip(
  ours: () => Promise<void>,
  blobs: { registry: RegistryServer; repository: string; digests: readonly string[] },
  runs: { warmUp: number; timed: number },
  decompressor: BaselineDecompressor = 'gunzip',
): Promise<AgainstCurlGunzip> {
  const curl = startCurlGunzip(decompressor);
  try {
    const baseline = (): Promise<void> => curl.run(blobs.registry, blobs.repository, blobs.digests);
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
  } finally {
    await curl.stop();
  }
}
