import { createHash } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { openStore } from '../src/store/open-store.js';
import type { SuppressionPut } from '../src/store/suppression-store.js';
import type { Store } from '../src/store/store.js';
import { median } from './support/measure.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { removeDatabase } from './support/seed-database.js';
import { createRandom, syntheticFinding, syntheticFindings } from './support/synthetic-findings.js';
import type { BenchRow } from './support/table.js';

/**
 * The summary and the first findings page with 10,000 active suppressions, against the
 * same database without any, in the same process, rounds alternating between the two so
 * that a machine's changing load falls on both alike. The issue's target: within 10 %.
 * Reads go to the store (the summary and the page uncached) and through the HTTP layer
 * (JSON page, rendered from the database every time).
 */

const CONFIGS = 200;
const IMAGES = 10;
const FINDINGS_PER_IMAGE = 100;
const FINDINGS_PER_REPOSITORY = 130;
const SUPPRESSIONS = 10_000;
/** Of the suppressions, those naming a vulnerability some stored finding has: the rest are an imported VEX's other products. */
const COVERING = 500;
const ROUNDS = 10;
const REQUESTS_PER_ROUND = 100;
const MAX_RATIO = 1.1;
const AT = new Date(Date.UTC(2026, 9, 1));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function seed(store: Store): Promise<string[]> {
  const next = createRandom(20261210);
  const ids: string[] = [];
  for (let index = 0; index < CONFIGS; index++) {
    const tags = Array.from({ length: IMAGES }, (_, t) => `1.${t}.0`);
    const created = await store.createConfig({ region: 'us-west-2', registry: '123456789012', repository: `team-${index % 20}/service-${index}`, tags, schedule: null, scanner: 'ecr', platform: null }, AT);
    ids.push(created.id);
  }
  const claims = await store.claimDueScans('bench', AT, 3_600_000, CONFIGS);
  for (const claim of claims) {
    const index = ids.indexOf(claim.config.id);
    const images = Array.from({ length: IMAGES }, (_, t) => {
      const keys = new Set<number>();
      while (keys.size < FINDINGS_PER_IMAGE) keys.add(index * FINDINGS_PER_REPOSITORY + Math.floor(next() * FINDINGS_PER_REPOSITORY));
      return { tag: `1.${t}.0`, digest: `sha256:${createHash('sha256').update(`${index}:${t}`).digest('hex')}`, status: 'COMPLETE' as const, error: null, scanner: 'ecr', findings: syntheticFindings(keys) };
    });
    await store.commitScan({ configId: claim.config.id, runId: claim.runId, owner: 'bench', finishedAt: AT, images, status: 'COMPLETE', error: null, nextScanAt: new Date(Date.UTC(2036, 0, 1)) });
  }
  return ids;
}

/** 10,000 suppressions: some of stored vulnerabilities, scoped in the ways users scope them, the rest of others. */
function suppressions(): SuppressionPut[] {
  return Array.from({ length: SUPPRESSIONS }, (_, i): SuppressionPut => {
    const covering = i < COVERING;
    const vulnerability = covering ? syntheticFinding(i * 37).name : `CVE-2031-${String(10_000 + i).padStart(5, '0')}`;
    return {
      id: `bench-${i}`,
      vulnerability,
      package: i % 3 === 0 ? syntheticFinding(i * 37).package : null,
      configId: null,
      repository: i % 4 === 0 ? `team-${i % 20}/*` : null,
      tag: i % 5 === 0 ? '1.*' : null,
      status: i % 2 === 0 ? 'not_affected' : 'accepted_risk',
      justification: i % 2 === 0 ? 'vulnerable_code_not_in_execute_path' : null,
      reason: 'benchmark',
      expiresAt: null,
    };
  });
}

/** Wall-clock milliseconds of each call, and this process's CPU milliseconds per call over them all. */
async function timeMs(fn: () => Promise<unknown>, times: number): Promise<{ wall: number[]; cpu: number }> {
  const wall: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    wall.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / times };
}

export async function benchSuppressions(): Promise<readonly BenchRow[]> {
  const dir = `${BENCH_DATA_DIR}/suppressions`;
  await mkdir(dir, { recursive: true });
  const plain = `${dir}/plain.db`;
  const suppressed = `${dir}/suppressed.db`;
  for (const file of [plain, suppressed]) await removeDatabase(file);
  log(`seeding ${CONFIGS * IMAGES * FINDINGS_PER_IMAGE} findings`);
  const seeding = await openStore(plain);
  const configIds = await seed(seeding);
  await seeding.close();
  await copyFile(plain, suppressed);

  const stores = { without: await openStore(plain), with: await openStore(suppressed) };
  const started = performance.now();
  const put = await stores.with.putSuppressions(suppressions(), 'bench', new Date(AT.getTime() + 60_000));
  const importMs = performance.now() - started;
  const covered = (await stores.with.listFindings(configIds[0] ?? '', { limit: 1000, after: null, severities: null, status: 'SUPPRESSED' })).findings.length;
  log(`imported ${put.created.length} suppressions in ${Math.round(importMs)} ms`);

  const logger = createLogger('silent');
  const apps = {
    without: await buildApp({ store: stores.without, config: { schedule: '24h', apiToken: null }, logger, metrics: createMetrics(), clock: { now: () => new Date() } }),
    with: await buildApp({ store: stores.with, config: { schedule: '24h', apiToken: null }, logger, metrics: createMetrics(), clock: { now: () => new Date() } }),
  };
  const middle = configIds[Math.floor(configIds.length / 2)] ?? '';
  const page = { limit: 100, after: null, severities: null, status: 'ACTIVE' as const };
  const cases = {
    'store.summary()': (side: 'with' | 'without') => () => stores[side].summary(),
    'store.listFindings() first page': (side: 'with' | 'without') => () => stores[side].listFindings(middle, page),
    'GET /findings/{id} JSON first page': (side: 'with' | 'without') => async () => {
      const response = await apps[side].inject({ method: 'GET', url: `/findings/${middle}?format=json` });
      if (response.statusCode !== 200) throw new Error(`findings page answered ${response.statusCode}`);
    },
  };
  type Sides = { with: number[]; without: number[] };
  const samples: Record<string, { wall: Sides; cpu: Sides }> = {};
  for (const name of Object.keys(cases)) samples[name] = { wall: { with: [], without: [] }, cpu: { with: [], without: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(cases)) {
      // Alternating which side goes first, so that neither always runs on a warmer cache.
      const order: Array<'with' | 'without'> = round % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
      for (const side of order) {
        const { wall, cpu } = await timeMs(make(side), REQUESTS_PER_ROUND);
        samples[name]!.wall[side].push(median(wall));
        samples[name]!.cpu[side].push(cpu);
      }
    }
  }
  for (const app of Object.values(apps)) await app.close();
  for (const store of Object.values(stores)) await store.close();

  // The target is judged on CPU time per request: on a machine shared with other work the
  // wall clock swings by a third between rounds, the process's own CPU time far less.
  const rows: BenchRow[] = Object.entries(samples).map(([name, { wall, cpu }]) => {
    const ratio = median(cpu.with) / median(cpu.without);
    return {
      name,
      'CPU ms without': Number(median(cpu.without).toFixed(3)),
      'CPU ms with 10,000 suppressions': Number(median(cpu.with).toFixed(3)),
      ratio: Number(ratio.toFixed(3)),
      'wall ms without / with (median)': `${median(wall.without).toFixed(2)} / ${median(wall.with).toFixed(2)}`,
      target: `≤ ${MAX_RATIO}`,
      met: ratio <= MAX_RATIO,
    };
  });
  rows.push({
    name: `import of ${SUPPRESSIONS} suppressions (one transaction, ${CONFIGS * IMAGES * FINDINGS_PER_IMAGE} findings)`,
    'CPU ms without': null,
    'CPU ms with 10,000 suppressions': null,
    ratio: null,
    'wall ms without / with (median)': `${Math.round(importMs)} (wall)`,
    target: `${covered} findings of the first configuration suppressed`,
    met: null,
  });
  return rows;
}
