import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildService } from './support/build-service.js';
import { startEndpointProcess } from './support/ecr-endpoint-handle.js';
import { type LoadFigures, type LoadTarget, runLoad } from './support/load.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { type ServerProcess, startReferenceServer, startServiceProcess } from './support/processes.js';
import { removeDatabase, seededDatabase, workingCopy } from './support/seed-database.js';
import type { BenchRow } from './support/table.js';

/**
 * The API when it is busy (issue 20), on the `api` benchmark's 1,000,000 findings:
 *
 * 1. **Uncached pages**: the first Atom page of `GET /findings/{id}` over all 1,000
 *    configurations in turn, so that every page is rendered from the database, against a
 *    bare Fastify route answering the same number of bytes. Target: rps ≥ 0.5×, p99 ≤ 2×.
 * 2. **The filtered summary**: one page of 50 configurations (`?repository=` glob and
 *    `limit=50`, JSON), one request at a time. Target: p50 ≤ 10 ms.
 * 3. **Reads and registrations while scans commit**: the service scans (its own scheduler,
 *    the ECR scanner against a simulated ECR endpoint) repositories of 10,000 findings each,
 *    one commit of 10,000 new findings and their 10,000 events after another, while
 *    `GET /summary`, `GET /findings/{id}` (in turn), `GET /configs/{id}` and `POST /configs/`
 *    are each asked by 4 clients at once. Target: read p99 ≤ 100 ms, `POST /configs/` p99
 *    ≤ 200 ms. The same load without scans, before, is the reference.
 */

const CONNECTIONS = 50;
const BUSY_CONNECTIONS = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const BUSY_REPOSITORIES = 24;
const BUSY_FINDINGS = 10_000;
const REFERENCE_SCRIPT = fileURLToPath(new URL('./support/reference-server.ts', import.meta.url));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

async function configIds(url: string): Promise<string[]> {
  const configs = (await (await fetch(`${url}/configs/`)).json()) as { id: string }[];
  return configs.map((config) => config.id);
}

function rotating(ids: string[]): Omit<LoadTarget, 'url'> {
  let turn = 0;
  return { method: 'GET', path: `/findings/${ids[0]}`, nextPath: () => `/findings/${ids[turn++ % ids.length]}`, headers: { accept: 'application/atom+xml' } };
}

async function best(target: LoadTarget, connections: number): Promise<LoadFigures> {
  await runLoad(target, { connections, seconds: 2 });
  const runs: LoadFigures[] = [];
  for (let i = 0; i < 3; i++) runs.push(await runLoad(target, { connections, seconds: SECONDS }));
  return runs.reduce((top, run) => (run.rps > top.rps ? run : top));
}

async function uncachedPages(service: ServerProcess, ids: string[], dialect: string): Promise<BenchRow> {
  const probe = await fetch(`${service.url}/findings/${ids[0]}`, { headers: { accept: 'application/atom+xml' } });
  const size = (await probe.arrayBuffer()).byteLength;
  const reference = await startReferenceServer(['--import', 'tsx', REFERENCE_SCRIPT], size, 'application/atom+xml; charset=utf-8');
  try {
    const ours = await best({ url: service.url, ...rotating(ids) }, CONNECTIONS);
    const ref = await best({ url: reference.url, ...rotating(ids) }, CONNECTIONS);
    const rpsRatio = ours.rps / ref.rps;
    const p99Ratio = ours.p99 / Math.max(ref.p99, 1);
    return {
      name: `GET /findings/{id}, first page, ${ids.length} configurations in turn (${dialect})`,
      rps: Math.round(ours.rps),
      'p50 ms': ms(ours.p50),
      'p99 ms': ms(ours.p99),
      'ref rps': Math.round(ref.rps),
      'ref p99 ms': ms(ref.p99),
      'rps ratio': rpsRatio.toFixed(2),
      'p99 ratio': p99Ratio.toFixed(2),
      goal: 'rps ≥ 0.5×, p99 ≤ 2×',
      result: rpsRatio >= 0.5 && p99Ratio <= 2 ? 'pass' : 'FAIL',
    };
  } finally {
    await reference.stop();
  }
}

async function filteredSummary(service: ServerProcess): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const query of ['repository=*team-1*&limit=50&format=json', 'repository=*team-1*&severity=critical&limit=50&images=false&format=json']) {
    const response = await fetch(`${service.url}/summary?${query}`);
    const body = (await response.json()) as { configs?: unknown[] };
    if (response.status === 400) {
      // A service from before the summary took filters.
      rows.push({ name: `GET /summary?${query}`, goal: 'p50 ≤ 10 ms', result: 'not supported' });
      continue;
    }
    if (response.status !== 200 || body.configs?.length !== 50) throw new Error(`GET /summary?${query} answered ${response.status} with ${body.configs?.length} configurations, not 50`);
    const figures = await best({ url: service.url, method: 'GET', path: `/summary?${query}`, headers: {} }, 1);
    rows.push({ name: `GET /summary?${query} (50 configurations), one client`, rps: Math.round(figures.rps), 'p50 ms': ms(figures.p50), 'p99 ms': ms(figures.p99), goal: 'p50 ≤ 10 ms', result: figures.p50 <= 10 ? 'pass' : 'FAIL' });
  }
  return rows;
}

interface Mixed {
  label: string;
  target: Omit<LoadTarget, 'url'>;
  maxP99: number;
}

function mixedLoad(ids: string[], middle: string): Mixed[] {
  let created = 0;
  return [
    { label: 'GET /summary (JSON)', target: { method: 'GET', path: '/summary', headers: { accept: 'application/json' } }, maxP99: 100 },
    { label: 'GET /findings/{id} (Atom, configurations in turn)', target: rotating(ids), maxP99: 100 },
    { label: 'GET /configs/{id}', target: { method: 'GET', path: `/configs/${middle}`, headers: {} }, maxP99: 100 },
    {
      label: 'POST /configs/',
      target: {
        method: 'POST',
        path: '/configs/',
        headers: { 'content-type': 'application/json' },
        // Repositories the ECR endpoint does not have: each is scanned too, and fails at once.
        body: () => JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: `bench/busy-post-${created++}`, tags: ['latest'] }),
      },
      maxP99: 200,
    },
  ];
}

async function runMixed(url: string, mixed: Mixed[], seconds: number): Promise<LoadFigures[]> {
  return Promise.all(mixed.map((entry) => runLoad({ url, ...entry.target }, { connections: BUSY_CONNECTIONS, seconds })));
}

async function commitsSoFar(url: string): Promise<number> {
  const configs = (await (await fetch(`${url}/configs/`)).json()) as { repository: string; status: string }[];
  return configs.filter((config) => config.repository.startsWith('busy/scan-') && (config.status === 'COMPLETE' || config.status === 'PARTIAL')).length;
}

/**
 * The seeded history (1,000,000 `finding.new` events) counts as relayed already, as in a
 * service that has been running: otherwise the webhook relay's catching up with it at
 * start would be measured instead.
 */
function markHistoryRelayed(file: string): void {
  const database = new SqliteDatabase(file);
  try {
    database.prepare("update notify_cursor set seq = (select coalesce(max(seq), 0) from events) where key = 'relay'").run();
  } finally {
    database.close();
  }
}

export async function benchBusyApi(): Promise<BenchRow[]> {
  const seeded = await seededDatabase(BENCH_DATA_DIR, log);
  const database = await workingCopy(seeded.file, `${BENCH_DATA_DIR}/busy-run.db`);
  markHistoryRelayed(database);
  const endpoint = await startEndpointProcess({
    latencyMs: 0,
    pollsUntilDone: 0,
    pageSize: 1000,
    repositories: { prefix: 'busy/scan', count: BUSY_REPOSITORIES, imagesPerRepository: 1, findingsPerImage: BUSY_FINDINGS, scannedAgoMs: 3600_000 },
  });
  let service: ServerProcess | null = null;
  try {
    log('compiling the service');
    const entry = await buildService(`${BENCH_DATA_DIR}/build`);
    const profileDir = process.env.BENCH_CPU_PROF?.trim();
    service = await startServiceProcess({
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    entry,
    env: {
      DATABASE_URL: database,
      LOG_LEVEL: 'warn',
      ECRSCAN_API_TOKEN: '',
      AWS_ENDPOINT_URL_ECR: endpoint.url,
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench-secret',
    },
  });
    return await measure(service);
  } finally {
    await service?.stop();
    await endpoint.stop();
    await removeDatabase(database);
  }
}

async function measure(service: ServerProcess): Promise<BenchRow[]> {
  const ids = await configIds(service.url);
  const middle = ids[Math.floor(ids.length / 2)] ?? '';
  const rows: BenchRow[] = [];
  log('uncached feed pages');
  rows.push(await uncachedPages(service, ids, 'SQLite'));
  log('filtered summary');
  rows.push(...(await filteredSummary(service)));
  const mixed = mixedLoad(ids, middle);
  log('mixed load, no scans');
  const quiet = await runMixed(service.url, mixed, SECONDS);
  log(`registering ${BUSY_REPOSITORIES} repositories of ${BUSY_FINDINGS} findings each`);
  for (let i = 0; i < BUSY_REPOSITORIES; i++) {
    const response = await fetch(`${service.url}/configs/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: `busy/scan-${i}` }),
    });
    if (response.status !== 201) throw new Error(`registering busy/scan-${i} answered ${response.status}`);
  }
  // The scheduler looks for due work at least every 5 s.
  while ((await commitsSoFar(service.url)) === 0) await sleep(200);
  const before = await commitsSoFar(service.url);
  const started = performance.now();
  log('mixed load while scans commit');
  const busy = await runMixed(service.url, mixed, SECONDS * 2);
  const seconds = (performance.now() - started) / 1000;
  const commits = (await commitsSoFar(service.url)) - before;
  if (commits < 2) throw new Error(`only ${commits} scans committed during the load: the load did not overlap the scans`);
  mixed.forEach((entry, i) => {
    const q = quiet[i];
    const b = busy[i];
    if (!q || !b) return;
    rows.push({
      name: `${entry.label}, ${BUSY_CONNECTIONS} clients, while ${commits} scans of ${BUSY_FINDINGS} findings committed in ${seconds.toFixed(1)} s`,
      rps: Math.round(b.rps),
      'p50 ms': ms(b.p50),
      'p99 ms': ms(b.p99),
      'quiet p50 ms': ms(q.p50),
      'quiet p99 ms': ms(q.p99),
      goal: `p99 ≤ ${entry.maxP99} ms`,
      // No answer within the run is no figure at all, and a failure.
      result: b.requests > 0 && b.p99 <= entry.maxP99 ? 'pass' : 'FAIL',
    });
  });
  return rows;
}
