import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openStore } from '../src/store/open-store.js';
import { type BenchPostgres, startBenchPostgres } from './support/bench-postgres.js';
import { buildService } from './support/build-service.js';
import { apiRequests, compareDialects, type DialectSettings, type SideFigures } from './support/dialect-load.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { copySqliteToPostgres } from './support/postgres-copy.js';
import { type ServerProcess, startServiceProcess } from './support/processes.js';
import { type CurveOptions, type CurvePoint, measureSchedulerCurve } from './support/scheduler-curve.js';
import { removeDatabase, SEED_SHAPE, seededDatabase, workingCopy } from './support/seed-database.js';
import type { BenchRow } from './support/table.js';

/**
 * The service on PostgreSQL. First the API benchmark's requests (summary, first Atom page,
 * registrations) against two API processes on the same 1,000,000 seeded findings, one on
 * SQLite and one on PostgreSQL, in the same run: PostgreSQL should reach at least 60 % of
 * SQLite's requests per second. Then one scan cycle of 2,000 configurations (one image
 * each) on one PostgreSQL database by 1, 2 and 4 scheduler-only processes against the
 * ECR-compatible endpoint with 50 ms per call: the cycle should shorten nearly linearly
 * with processes until the database or the machine's cores are the limit.
 */

const MIN_RPS_RATIO = 0.6;
const DEFAULT_SECONDS = 3;
const LOAD: Omit<DialectSettings, 'seconds'> = { connections: 50, warmUpSeconds: 2, rounds: 3 };
const CURVE: CurveOptions = {
  configs: 2_000,
  findingsPerImage: 20,
  latencyMs: 50,
  // Twice the service's default of 4: with 150 ms of ECR latency per configuration, one
  // process then does some 50 configurations a second, two come near what the machine's
  // cores can do, and four show where the curve bends, all within a few minutes.
  concurrency: 8,
  leaseSeconds: 60,
  processCounts: [1, 2, 4],
};
/** ListImages, StartImageScan (answered with the 24-hour quota) and DescribeImageScanFindings. */
const CALLS_PER_CONFIG = 3;
/** Speed-up per process above which the curve counts as nearly linear. */
const LINEAR_EFFICIENCY = 0.8;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function readSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.BENCH_SECONDS ?? String(DEFAULT_SECONDS);
  const seconds = Number(raw);
  if (!/^[0-9]+$/.test(raw) || seconds < 1 || seconds > 600) throw new Error(`BENCH_SECONDS must be a whole number of seconds from 1 to 600, got "${raw}"`);
  return seconds;
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function startApi(entry: string, databaseUrl: string): Promise<ServerProcess> {
  return startServiceProcess({ nodeArgs: [], entry, env: { DATABASE_URL: databaseUrl, ECRSCAN_MODE: 'api', LOG_LEVEL: 'warn', ECRSCAN_API_TOKEN: '' } });
}

/** The middle one of the configurations as the API lists them, as the API benchmark picks its feed. */
async function middleConfigId(url: string): Promise<string> {
  const configs: unknown = await (await fetch(`${url}/configs/`)).json();
  if (!Array.isArray(configs) || configs.length !== SEED_SHAPE.configs) throw new Error(`GET /configs/ did not list the ${SEED_SHAPE.configs} seeded configurations`);
  const middle: unknown = configs[Math.floor(configs.length / 2)];
  const id = typeof middle === 'object' && middle !== null && 'id' in middle ? middle.id : undefined;
  if (typeof id !== 'string') throw new Error('GET /configs/ answered a configuration without an id');
  return id;
}

function apiRow(label: string, sqlite: SideFigures, postgres: SideFigures): BenchRow {
  const ratio = postgres.load.rps / sqlite.load.rps;
  return {
    endpoint: label,
    'body bytes': postgres.bodyBytes,
    'SQLite rps': Math.round(sqlite.load.rps),
    'PostgreSQL rps': Math.round(postgres.load.rps),
    ratio: ratio.toFixed(2),
    'SQLite p99 ms': sqlite.load.p99,
    'PostgreSQL p99 ms': postgres.load.p99,
    'service CPU on SQLite': percent(sqlite.serviceCpu),
    'service CPU on PostgreSQL': percent(postgres.serviceCpu),
    'PostgreSQL server CPU': percent(postgres.postgresCpu ?? 0),
    'load generator CPU on SQLite / PostgreSQL': `${percent(sqlite.loadGeneratorCpu)} / ${percent(postgres.loadGeneratorCpu)}`,
    'machine busy on SQLite / PostgreSQL': `${percent(sqlite.machineBusy)} / ${percent(postgres.machineBusy)}`,
    goal: `ratio ≥ ${MIN_RPS_RATIO}`,
    result: ratio >= MIN_RPS_RATIO ? 'pass' : 'FAIL',
  };
}

/** The API benchmark's requests against SQLite and PostgreSQL holding the same seeded data. */
async function benchApiOnPostgres(postgres: BenchPostgres, entry: string, seconds: number): Promise<BenchRow[]> {
  const seeded = await seededDatabase(BENCH_DATA_DIR, log);
  const sqliteFile = await workingCopy(seeded.file, `${BENCH_DATA_DIR}/postgres-compare.db`);
  try {
    const postgresUrl = await postgres.createDatabase('ecrscan_api');
    await (await openStore(postgresUrl)).close();
    log(`copying the seeded database (${SEED_SHAPE.configs * SEED_SHAPE.imagesPerConfig * SEED_SHAPE.findingsPerImage} findings) into PostgreSQL`);
    const started = performance.now();
    const copied = await copySqliteToPostgres(sqliteFile, postgresUrl, log);
    const copySeconds = (performance.now() - started) / 1000;
    const sqlite = await startApi(entry, sqliteFile);
    const onPostgres = await startApi(entry, postgresUrl).catch(async (err: unknown) => {
      await sqlite.stop();
      throw err;
    });
    try {
      const rows: BenchRow[] = [];
      for (const request of apiRequests(await middleConfigId(sqlite.url))) {
        log(`${request.label}: ${LOAD.warmUpSeconds} s warm-up each, then ${LOAD.rounds} rounds of ${seconds} s on SQLite and on PostgreSQL`);
        const figures = await compareDialects(sqlite, onPostgres, postgres, request, { ...LOAD, seconds });
        rows.push(apiRow(request.label, figures.sqlite, figures.postgres));
      }
      rows.push({ figure: 'copy of the seeded SQLite database into PostgreSQL', value: `${copySeconds.toFixed(1)} s for ${copied.findings ?? 0} findings (then VACUUM ANALYZE)` });
      return rows;
    } finally {
      await onPostgres.stop();
      await sqlite.stop();
    }
  } finally {
    await removeDatabase(sqliteFile);
  }
}

/** What came nearest its ceiling: the machine's cores, one process's single thread, or nothing. */
function bottleneck(point: CurvePoint): string {
  const { wall } = point.cpu;
  if (point.cpu.machineBusy / point.cpu.machineTotal >= 0.9) return `machine CPU (${availableParallelism()} cores)`;
  if (point.cpu.endpoint / wall >= 0.9) return 'endpoint process (one core)';
  if (point.cpu.schedulers / point.processes / wall >= 0.9) return 'scheduler processes (one core each)';
  if (point.cpu.postgres / wall >= 0.9) return 'PostgreSQL server';
  return 'none near its ceiling (ECR latency)';
}

function curveRow(point: CurvePoint, single: CurvePoint | undefined): BenchRow {
  const ideal = (CURVE.configs * CALLS_PER_CONFIG * CURVE.latencyMs) / 1000 / (point.processes * CURVE.concurrency);
  const speedUp = single ? single.seconds / point.seconds : 1;
  const efficiency = speedUp / point.processes;
  // CPU shares over the window the CPU times were read in: from the moment work fell due until all was seen done.
  const { wall } = point.cpu;
  return {
    processes: point.processes,
    'cycle s': point.seconds.toFixed(1),
    'ideal s': ideal.toFixed(1),
    'speed-up': speedUp.toFixed(2),
    'per process': efficiency.toFixed(2),
    'configs/s': Math.round(CURVE.configs / point.seconds),
    'ECR calls': point.calls.total,
    'scans per process': point.perProcess.join(' / '),
    'scheduler CPU': percent(point.cpu.schedulers / wall),
    'endpoint CPU': percent(point.cpu.endpoint / wall),
    'PostgreSQL CPU': percent(point.cpu.postgres / wall),
    'bench CPU': percent(point.cpu.bench / wall),
    'machine busy': percent(point.cpu.machineBusy / point.cpu.machineTotal),
    // Anything else running on the machine meanwhile; far above zero means the figures are disturbed.
    'other processes CPU': percent(Math.max(0, point.cpu.machineBusy - point.cpu.schedulers - point.cpu.endpoint - point.cpu.postgres - point.cpu.bench) / wall),
    limit: bottleneck(point),
    result: efficiency >= LINEAR_EFFICIENCY ? 'linear' : 'bent',
  };
}

function curveRows(points: CurvePoint[]): BenchRow[] {
  const single = points.find((point) => point.processes === 1);
  return [
    ...points.map((point) => curveRow(point, single)),
    {
      figure: 'scheduler curve set-up',
      value:
        `${CURVE.configs} configurations × 1 image × ${CURVE.findingsPerImage} findings on one PostgreSQL database; ` +
        `ECRSCAN_CONCURRENCY=${CURVE.concurrency}, ECRSCAN_LEASE_SECONDS=${CURVE.leaseSeconds} per process; ${CURVE.latencyMs} ms per ECR call, ` +
        `${CALLS_PER_CONFIG} calls per configuration (images scanned within 24 hours: StartImageScan answers with the quota)`,
    },
  ];
}

function machineRow(): BenchRow {
  return { figure: 'machine', value: `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.version}` };
}

/** Runs `parts` with a PostgreSQL server of their own and the compiled service, and stops the server afterwards. */
async function withPostgres(parts: (postgres: BenchPostgres, entry: string) => Promise<BenchRow[]>): Promise<BenchRow[]> {
  log('starting a PostgreSQL server and compiling the service');
  const postgres = await startBenchPostgres();
  try {
    const entry = await buildService(`${BENCH_DATA_DIR}/build`);
    return [...(await parts(postgres, entry)), machineRow()];
  } finally {
    await postgres.stop();
  }
}

/** The API benchmark's requests on PostgreSQL against SQLite, same data, same run. */
export function benchPostgresApi(): Promise<BenchRow[]> {
  const seconds = readSeconds(process.env);
  return withPostgres((postgres, entry) => benchApiOnPostgres(postgres, entry, seconds));
}

/** One cycle of 2,000 configurations by 1, 2 and 4 scheduler processes on one PostgreSQL database. */
export function benchPostgresSchedulers(): Promise<BenchRow[]> {
  return withPostgres(async (postgres, entry) => curveRows(await measureSchedulerCurve(postgres, entry, CURVE, log)));
}

/** Both, on one PostgreSQL server. */
export function benchPostgres(): Promise<BenchRow[]> {
  const seconds = readSeconds(process.env);
  return withPostgres(async (postgres, entry) => [
    ...(await benchApiOnPostgres(postgres, entry, seconds)),
    ...curveRows(await measureSchedulerCurve(postgres, entry, CURVE, log)),
  ]);
}
