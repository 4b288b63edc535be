import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type HostileRegistry, startHostileRegistry } from '../test/support/hostile-registry.js';
import { buildImage, buildLayer } from '../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE } from '../test/support/package-fixtures.js';
import { buildService } from './support/build-service.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { sampleMemory, type ServerProcess, startServiceProcess } from './support/processes.js';
import type { BenchRow } from './support/table.js';

/**
 * The API while hostile registries are scanned: the compiled service (what `npm start`
 * runs) with its default concurrency, image cap and memory, against registries served
 * here that trickle a layer, stall a layer, trickle a manifest, list 100,000 tags, and
 * offer tags built to make a backtracking glob explode, beside a healthy one. Every
 * configuration is scanned `ROUNDS` times in a row (a rescan is requested as soon as the
 * last one ends) while one client asks `GET /configs/{id}`, `GET /summary` and
 * `GET /healthz` in turn, one request at a time with a 10 ms pause: the latency a user
 * sees. The service's own event-loop delay comes from its `/metrics`.
 */

const DEBIAN_FIXTURES = fileURLToPath(new URL('../test/fixtures/osv/debian-12/', import.meta.url));
const ROUNDS = Number(process.env.BENCH_HOSTILE_ROUNDS ?? 3);
const TAG_COUNT = 100_000;
const GLOB = '*a*a*a*a*a*a*a*a*a*a*b';
const MAX_P99_MS = 50;
const MAX_RSS_BYTES = 512 * 1024 * 1024;

interface ConfigJson {
  status: string;
  lastScan: string | null;
}

/**
 * Run twice: at the default image cap, where the 100,000-tag repository yields 1,000
 * images to commit in one transaction, and at a cap of 100, which leaves the hostile
 * registries' own cost.
 */
export async function benchHostileScan(): Promise<BenchRow[]> {
  return [await runScenario(1000), await runScenario(100)];
}

async function runScenario(maxImages: number): Promise<BenchRow> {
  await mkdir(BENCH_DATA_DIR, { recursive: true });
  const dir = await mkdtemp(join(BENCH_DATA_DIR, 'hostile-'));
  const registries: HostileRegistry[] = [];
  let service: ServerProcess | null = null;
  try {
    const status = await readFile(join(DEBIAN_FIXTURES, 'dpkg-status'), 'utf8');
    const image = async (name: string) =>
      buildImage([await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: status }, { path: `srv/${name}`, content: name }])]);
    const slow = await startHostileRegistry({
      'acme/trickle': { image: await image('trickle'), behaviour: { kind: 'trickle' } },
      'acme/stall': { image: await image('stall'), behaviour: { kind: 'stall' } },
      'acme/slow-manifest': { image: await image('slow-manifest'), behaviour: { kind: 'slow-manifest' } },
    });
    registries.push(slow);
    const good = await startHostileRegistry({
      'acme/healthy': { image: await image('healthy'), behaviour: { kind: 'healthy' } },
      'acme/many': { image: await image('many'), behaviour: { kind: 'tags', tags: Array.from({ length: TAG_COUNT }, (_, i) => `build-${String(i).padStart(6, '0')}`) } },
      'acme/bait': { image: await image('bait'), behaviour: { kind: 'tags', tags: Array.from({ length: 2000 }, (_, i) => `${'a'.repeat(120)}${i.toString(36).replace(/[0-9]/g, 'a')}c`) } },
    });
    registries.push(good);
    const entry = await buildService(`${BENCH_DATA_DIR}/build`);
    service = await startServiceProcess({
      // BENCH_CPU_PROF=dir writes a V8 CPU profile of the service there.
      nodeArgs: process.env.BENCH_CPU_PROF?.trim() ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF.trim()}`] : [],
      entry,
      env: {
        DATABASE_URL: join(dir, 'service.db'),
        ECRSCAN_INSECURE_REGISTRIES: `${slow.host},${good.host}`,
        ECRSCAN_OSV_SOURCES: DEBIAN_FIXTURES,
        DOCKER_CONFIG: join(dir, 'docker-config'),
        ECRSCAN_REGISTRY_TIMEOUT_SECONDS: '2',
        ECRSCAN_MAX_IMAGES: String(maxImages),
        LOG_LEVEL: 'warn',
        ECRSCAN_API_TOKEN: '',
      },
    });
    const url = service.url;
    const register = async (body: object): Promise<string> => {
      const response = await fetch(`${url}/configs/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (response.status !== 201) throw new Error(`POST /configs/ answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    };
    const healthyId = await register({ registry: good.host, repository: 'acme/healthy', tags: ['latest'] });
    // Warm-up: the first answers of a fresh process (and of this client) say nothing about scans.
    for (let i = 0; i < 50; i++) await (await fetch(`${url}${['/configs/', '/summary?format=json', `/configs/${healthyId}`][i % 3]}`)).arrayBuffer();
    await waitForScans(url, [healthyId], 1);
    await scrapeLag(url);

    const memory = sampleMemory(service.pid);
    const latencies: number[] = [];
    let probing = true;
    const probe = (async () => {
      const paths = [`/configs/${healthyId}`, '/summary?format=json', '/healthz'];
      for (let i = 0; probing; i++) {
        const started = performance.now();
        const response = await fetch(`${url}${paths[i % paths.length]}`);
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        await sleep(10);
      }
    })();
    const started = performance.now();
    const ids = [
      healthyId,
      await register({ registry: slow.host, repository: 'acme/trickle', tags: ['latest'] }),
      await register({ registry: slow.host, repository: 'acme/stall', tags: ['latest'] }),
      await register({ registry: slow.host, repository: 'acme/slow-manifest', tags: ['latest'] }),
      await register({ registry: good.host, repository: 'acme/many' }),
      await register({ registry: good.host, repository: 'acme/bait', tags: [GLOB] }),
    ];
    await fetch(`${url}/configs/${healthyId}/scan`, { method: 'POST' });
    await waitForScans(url, ids, ROUNDS);
    const seconds = (performance.now() - started) / 1000;
    probing = false;
    await probe;
    const lag = await scrapeLag(url);
    const { peakRss } = await memory.stop();
    latencies.sort((a, b) => a - b);
    const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
    return {
        scenario: `6 configurations (trickle, stall, slow manifest, ${TAG_COUNT.toLocaleString('en')} tags, bait glob, healthy), ${ROUNDS} scans each`,
        'image cap': maxImages,
        seconds: Number(seconds.toFixed(1)),
        probes: latencies.length,
        'p50 ms': Number(at(50).toFixed(1)),
        'p99 ms': Number(at(99).toFixed(1)),
        'max ms': Number((latencies[latencies.length - 1] ?? Number.NaN).toFixed(1)),
        'event-loop lag p99 / max ms': `${lag.p99.toFixed(0)} / ${lag.max.toFixed(0)}`,
        'peak RSS MB': Math.round(peakRss / 1024 / 1024),
        goal: `p99 ≤ ${MAX_P99_MS} ms, RSS ≤ 512 MB`,
        result: at(99) <= MAX_P99_MS && peakRss <= MAX_RSS_BYTES ? 'pass' : 'FAIL',
    };
  } finally {
    await service?.stop();
    for (const registry of registries) await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Waits until every configuration has ended `rounds` scans, asking for the next as soon as one ends. */
async function waitForScans(url: string, ids: readonly string[], rounds: number): Promise<void> {
  const seen = new Map<string, { scans: number; lastScan: string | null }>(ids.map((id) => [id, { scans: 0, lastScan: null }]));
  const deadline = Date.now() + 10 * 60_000;
  while ([...seen.values()].some((state) => state.scans < rounds)) {
    if (Date.now() > deadline) throw new Error(`scans did not end: ${JSON.stringify([...seen])}`);
    for (const [id, state] of seen) {
      if (state.scans >= rounds) continue;
      const config = (await (await fetch(`${url}/configs/${id}`)).json()) as ConfigJson;
      if (config.lastScan === null || config.lastScan === state.lastScan || !['COMPLETE', 'PARTIAL', 'FAILED'].includes(config.status)) continue;
      state.scans += 1;
      state.lastScan = config.lastScan;
      if (state.scans < rounds) await (await fetch(`${url}/configs/${id}/scan`, { method: 'POST' })).arrayBuffer();
    }
    await sleep(100);
  }
}

/** The service's event-loop delay since the previous scrape (prom-client resets it at every scrape). */
async function scrapeLag(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000;
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}
