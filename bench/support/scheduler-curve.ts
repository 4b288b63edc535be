import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { BenchPostgres } from './bench-postgres.js';
import { cpuSecondsOf, machineTimes, postgresCpuSeconds } from './cpu-time.js';
import { type CallCounts, type EndpointProcess, startEndpointProcess } from './ecr-endpoint-handle.js';
import { type SchedulerProcess, startSchedulerProcess } from './scheduler-processes.js';

/**
 * One scan cycle of many configurations on one PostgreSQL database, done by N real
 * `ecrscan serve --scheduler-only` processes at once, against the ECR-compatible endpoint
 * in a process of its own. The configurations become due at one instant after every process
 * is up; the cycle runs from the first claim to the last finished scan, as the database
 * records them.
 */

export interface CurveOptions {
  configs: number;
  findingsPerImage: number;
  latencyMs: number;
  /** ECRSCAN_CONCURRENCY of each process. */
  concurrency: number;
  leaseSeconds: number;
  processCounts: number[];
}

export interface CpuShares {
  /** CPU seconds over the cycle, per part. */
  schedulers: number;
  endpoint: number;
  postgres: number;
  bench: number;
  machineBusy: number;
  machineTotal: number;
  /** Wall seconds between the two readings. */
  wall: number;
}

export interface CurvePoint {
  processes: number;
  seconds: number;
  calls: CallCounts;
  /** Configurations each process scanned, most first. */
  perProcess: number[];
  cpu: CpuShares;
}

const TEMPLATE = 'ecrscan_curve_template';
const REPOSITORY_PREFIX = 'bench/fleet';
/** Every process has looked for due work again (it does every 5 s) before this delay has passed. */
const DUE_DELAY_MS = 6_000;
const CYCLE_TIMEOUT_MS = 300_000;
const FAR_FUTURE = Date.UTC(2036, 0, 1);

/** A migrated database with every configuration registered and none due, to copy for each run. */
async function createTemplate(postgres: BenchPostgres, configs: number): Promise<void> {
  const url = await postgres.createDatabase(TEMPLATE);
  const store = await openStore(url, { poolSize: 4 });
  try {
    const now = new Date();
    for (let i = 0; i < configs; i++) {
      await store.createConfig({ region: 'us-west-2', registry: '123456789012', repository: `${REPOSITORY_PREFIX}-${i}`, tags: null, schedule: null, scanner: 'ecr', platform: null }, now);
    }
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('update configs set next_scan_at = $1', [FAR_FUTURE]);
  await client.end();
}

async function cpuNow(postgres: BenchPostgres, endpoint: EndpointProcess, processes: SchedulerProcess[]): Promise<CpuShares> {
  const bench = process.cpuUsage();
  const machine = await machineTimes();
  return {
    schedulers: await cpuSecondsOf(processes.map((p) => p.pid)),
    endpoint: await cpuSecondsOf([endpoint.pid]),
    postgres: await postgresCpuSeconds(postgres.port),
    bench: (bench.user + bench.system) / 1e6,
    machineBusy: machine.busy,
    machineTotal: machine.total,
    wall: performance.now() / 1000,
  };
}

function difference(after: CpuShares, before: CpuShares): CpuShares {
  return {
    schedulers: after.schedulers - before.schedulers,
    endpoint: after.endpoint - before.endpoint,
    postgres: after.postgres - before.postgres,
    bench: after.bench - before.bench,
    machineBusy: after.machineBusy - before.machineBusy,
    machineTotal: after.machineTotal - before.machineTotal,
    wall: after.wall - before.wall,
  };
}

async function waitUntilScanned(client: pg.Client, configs: number): Promise<void> {
  const deadline = Date.now() + CYCLE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query<{ done: string; failed: string }>(
      `select count(*) filter (where status = 'COMPLETE') as done, count(*) filter (where status in ('FAILED', 'PARTIAL')) as failed from configs`,
    );
    const done = Number(rows[0]?.done ?? 0);
    const failed = Number(rows[0]?.failed ?? 0);
    if (failed > 0) throw new Error(`${failed} configurations failed to scan`);
    if (done === configs) return;
    if (Date.now() > deadline) throw new Error(`only ${done} of ${configs} configurations were scanned within ${CYCLE_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/** Seconds from the first claim to the last finished scan, and how the work was shared; checks that each configuration was scanned once. */
async function cycleRecord(client: pg.Client, configs: number): Promise<{ seconds: number; perProcess: number[] }> {
  const span = await client.query<{ first: string; last: string; runs: string }>(
    `select min(r.started_at) as first, max(r.finished_at) as last, count(*) as runs from scan_runs r where r.outcome = 'COMPLETE'`,
  );
  const { first, last, runs } = span.rows[0] ?? { first: '0', last: '0', runs: '0' };
  if (Number(runs) !== configs) throw new Error(`${runs} completed scan runs for ${configs} configurations: some were scanned twice or not at all`);
  const owners = await client.query<{ n: string }>(`select count(*) as n from scan_runs where outcome = 'COMPLETE' group by owner order by count(*) desc`);
  return { seconds: (Number(last) - Number(first)) / 1000, perProcess: owners.rows.map((row) => Number(row.n)) };
}

async function runCycle(postgres: BenchPostgres, endpoint: EndpointProcess, entry: string, options: CurveOptions, count: number): Promise<CurvePoint> {
  const name = `ecrscan_curve_${count}`;
  const url = await postgres.createDatabase(name, TEMPLATE);
  const env = {
    DATABASE_URL: url,
    ECRSCAN_CONCURRENCY: String(options.concurrency),
    ECRSCAN_LEASE_SECONDS: String(options.leaseSeconds),
    AWS_ENDPOINT_URL_ECR: endpoint.url,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHCURVE',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const processes: SchedulerProcess[] = [];
  const client = new pg.Client({ connectionString: url });
  try {
    // Started one after another: they are up long before the work falls due anyway.
    for (let i = 0; i < count; i++) processes.push(await startSchedulerProcess(entry, env));
    await client.connect();
    await endpoint.resetCalls();
    const dueAt = Date.now() + DUE_DELAY_MS;
    await client.query('update configs set next_scan_at = $1', [dueAt]);
    await sleep(dueAt - Date.now());
    const before = await cpuNow(postgres, endpoint, processes);
    await waitUntilScanned(client, options.configs);
    const cpu = difference(await cpuNow(postgres, endpoint, processes), before);
    const record = await cycleRecord(client, options.configs);
    return { processes: count, ...record, calls: await endpoint.calls(), cpu };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await client.end().catch(() => undefined);
    await postgres.dropDatabase(name);
  }
}

export async function measureSchedulerCurve(postgres: BenchPostgres, entry: string, options: CurveOptions, log: (line: string) => void): Promise<CurvePoint[]> {
  await createTemplate(postgres, options.configs);
  // Every image had a basic scan within the last 24 hours (scan on push): StartImageScan
  // answers with the quota and the findings are read at once, so each configuration costs
  // three ECR calls and no poll pause.
  const endpoint = await startEndpointProcess({
    latencyMs: options.latencyMs,
    pollsUntilDone: 0,
    pageSize: 1000,
    repositories: { prefix: REPOSITORY_PREFIX, count: options.configs, imagesPerRepository: 1, findingsPerImage: options.findingsPerImage, scannedAgoMs: 3600_000 },
  });
  const points: CurvePoint[] = [];
  try {
    for (const count of options.processCounts) {
      log(`scheduler curve: ${options.configs} configurations, ${count} process(es) × concurrency ${options.concurrency}`);
      const point = await runCycle(postgres, endpoint, entry, options, count);
      log(`${count} process(es): ${point.seconds.toFixed(1)} s`);
      points.push(point);
    }
    return points;
  } finally {
    await endpoint.stop();
    await postgres.dropDatabase(TEMPLATE);
  }
}
