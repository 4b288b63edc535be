import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildService } from './support/build-service.js';
import { type LoadFigures, type LoadTarget, runLoad } from './support/load.js';
import { apiRequests } from './support/dialect-load.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { type MemoryFigures, sampleMemory, type ServerProcess, startReferenceServer, startServiceProcess } from './support/processes.js';
import { measureScanWrite, WRITE_FINDINGS, type WriteFigures } from './support/scan-write.js';
import { removeDatabase, SEED_SHAPE, type SeededDatabase, seededDatabase, workingCopy } from './support/seed-database.js';
import type { BenchRow } from './support/table.js';

/**
 * The service core under load, with 1,000,000 findings stored: `GET /summary`, the first
 * Atom page of `GET /findings/{id}` and `POST /configs/`, each against a bare Fastify
 * route that answers a constant body of the same size (the ceiling on this machine);
 * then the write of one 10,000-finding scan and the service's resident memory. Beyond the
 * issue, the feeds of all 1,000 configurations in turn: what a page costs when it has to
 * be rendered from the database.
 */

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;
const ROUNDS = 3;
/** Seconds per round: three rounds make some 10 s of load per side and target. */
const DEFAULT_SECONDS = 4;
const WRITE_RUNS = 5;
const MIN_RPS_RATIO = 0.5;
const MAX_P99_RATIO = 2;
const MAX_WRITE_MS = 1000;
const MAX_RSS_BYTES = 250 * 1024 * 1024;

const REFERENCE_SCRIPT = fileURLToPath(new URL('./support/reference-server.ts', import.meta.url));

interface Settings {
  seconds: number;
  /** Directory for a V8 CPU profile of the service process, when one is wanted. */
  cpuProfileDir: string | null;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const raw = env.BENCH_SECONDS ?? String(DEFAULT_SECONDS);
  const seconds = Number(raw);
  if (!/^[0-9]+$/.test(raw) || seconds < 1 || seconds > 600) throw new Error(`BENCH_SECONDS must be a whole number of seconds from 1 to 600, got "${raw}"`);
  const cpuProfileDir = env.BENCH_CPU_PROF?.trim() ? env.BENCH_CPU_PROF.trim() : null;
  return { seconds, cpuProfileDir };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** One endpoint under load, and how to tell that its answer is the one meant. */
interface Endpoint {
  label: string;
  request: Omit<LoadTarget, 'url'>;
  status: number;
  /**
   * `target`: the issue sets ratio targets; `recorded`: part of the load, measured
   * for the record; `extra`: beyond the load, so outside its memory figure too.
   */
  role: 'target' | 'recorded' | 'extra';
}

function endpoints(configIds: string[]): Endpoint[] {
  const middle = configIds[Math.floor(configIds.length / 2)] ?? '';
  let turn = 0;
  // The summary and the feed page carry the ratio targets; registrations are recorded.
  const roles: Endpoint['role'][] = ['target', 'target', 'recorded'];
  return [
    ...apiRequests(middle).map((request, i) => ({ ...request, role: roles[i] ?? 'recorded' })),
    {
      // Every request another configuration's feed, round the 1,000: no page is served from
      // memory twice in a row, so this measures rendering from the database.
      label: `GET /findings/{id} (Atom, first page, ${configIds.length} configurations in turn)`,
      request: {
        method: 'GET',
        path: `/findings/${middle}`,
        nextPath: () => `/findings/${configIds[turn++ % configIds.length]}`,
        headers: { accept: 'application/atom+xml' },
      },
      status: 200,
      role: 'extra',
    },
  ];
}

/** Sends the request once, to check the answer and learn the size and type of its body. */
async function probe(url: string, endpoint: Endpoint): Promise<{ size: number; type: string }> {
  const { method, path, headers, body } = endpoint.request;
  const response = await fetch(`${url}${path}`, { method, headers, body: body?.() });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== endpoint.status) throw new Error(`${method} ${path} answered ${response.status}, not ${endpoint.status}: ${bytes.toString().slice(0, 300)}`);
  const type = response.headers.get('content-type');
  if (!type) throw new Error(`${method} ${path} answered without a content type`);
  return { size: bytes.length, type };
}

/** The ids of the seeded configurations, as the API lists them. */
async function listConfigIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/configs/`);
  const configs: unknown = await response.json();
  if (!Array.isArray(configs) || configs.length !== SEED_SHAPE.configs) throw new Error(`GET /configs/ did not list exactly the ${SEED_SHAPE.configs} seeded configurations`);
  return configs.map((config: unknown) => {
    const id = typeof config === 'object' && config !== null && 'id' in config ? config.id : undefined;
    if (typeof id !== 'string') throw new Error('GET /configs/ answered a configuration without an id');
    return id;
  });
}

function warmUp(url: string, endpoint: Endpoint): Promise<LoadFigures> {
  return runLoad({ url, ...endpoint.request }, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
}

/** The run with the most requests per second: the one least disturbed by anything else on the machine. */
function best(runs: LoadFigures[]): LoadFigures {
  const [first, ...rest] = runs;
  if (!first) throw new Error('no load run to report');
  return rest.reduce((top, run) => (run.rps > top.rps ? run : top), first);
}

/**
 * Service and reference are loaded in alternating rounds, and each side reports its best
 * round: a burst of other work on the machine then lowers one round of one side, not the
 * ratio between them.
 */
async function measureBoth(serviceUrl: string, referenceUrl: string, endpoint: Endpoint, seconds: number): Promise<[LoadFigures, LoadFigures]> {
  await warmUp(serviceUrl, endpoint);
  await warmUp(referenceUrl, endpoint);
  const service: LoadFigures[] = [];
  const reference: LoadFigures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    service.push(await runLoad({ url: serviceUrl, ...endpoint.request }, { connections: CONNECTIONS, seconds }));
    reference.push(await runLoad({ url: referenceUrl, ...endpoint.request }, { connections: CONNECTIONS, seconds }));
  }
  return [best(service), best(reference)];
}

function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

function loadRow(endpoint: Endpoint, size: number, service: LoadFigures, reference: LoadFigures, memory: MemoryFigures): BenchRow {
  const rpsRatio = service.rps / reference.rps;
  const p99Ratio = service.p99 / Math.max(reference.p99, 1);
  const pass = rpsRatio >= MIN_RPS_RATIO && p99Ratio <= MAX_P99_RATIO;
  return {
    endpoint: endpoint.label,
    'body bytes': size,
    rps: Math.round(service.rps),
    'p50 ms': ms(service.p50),
    'p99 ms': ms(service.p99),
    'ref rps': Math.round(reference.rps),
    'ref p99 ms': ms(reference.p99),
    'rps ratio': rpsRatio.toFixed(2),
    'p99 ratio': p99Ratio.toFixed(2),
    'service RSS MB': Math.round(memory.peakRss / 1024 / 1024),
    goal: endpoint.role === 'target' ? `rps ≥ ${MIN_RPS_RATIO * 100} %, p99 ≤ ${MAX_P99_RATIO}×` : endpoint.role === 'recorded' ? 'none (recorded)' : 'none (beyond the issue)',
    result: endpoint.role === 'target' ? (pass ? 'pass' : 'FAIL') : '—',
  };
}

/** Loads one endpoint of the service, then the reference with a body of the same size. */
async function compare(service: ServerProcess, endpoint: Endpoint, settings: Settings): Promise<BenchRow> {
  const { size, type } = await probe(service.url, endpoint);
  log(`${endpoint.label}: ${size} bytes of ${type}; ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of ${settings.seconds} s on the service and on the reference`);
  const reference = await startReferenceServer(['--import', 'tsx', REFERENCE_SCRIPT], size, type);
  const sampler = sampleMemory(service.pid);
  try {
    const [serviceFigures, referenceFigures] = await measureBoth(service.url, reference.url, endpoint, settings.seconds);
    return loadRow(endpoint, size, serviceFigures, referenceFigures, await sampler.stop());
  } finally {
    await reference.stop();
  }
}

function figure(name: string, value: string, goal: string, pass: boolean | null): BenchRow {
  return { figure: name, value, goal, result: pass === null ? '—' : pass ? 'pass' : 'FAIL' };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

interface ServiceFigures {
  loadRows: BenchRow[];
  memory: MemoryFigures;
}

/** Starts the compiled service on `database` and loads every endpoint, sampling its memory throughout. */
async function loadService(database: string, settings: Settings): Promise<ServiceFigures> {
  log('compiling the service');
  const entry = await buildService(`${BENCH_DATA_DIR}/build`);
  const service = await startServiceProcess({
    nodeArgs: settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`] : [],
    entry,
    env: { DATABASE_URL: database, ECRSCAN_MODE: 'api', LOG_LEVEL: 'warn', ECRSCAN_API_TOKEN: '' },
  });
  // The memory figure covers the load; the extra load runs after it is taken.
  const sampler = sampleMemory(service.pid);
  try {
    const all = endpoints(await listConfigIds(service.url));
    const loadRows: BenchRow[] = [];
    for (const endpoint of all.filter((candidate) => candidate.role !== 'extra')) loadRows.push(await compare(service, endpoint, settings));
    const memory = await sampler.stop();
    for (const endpoint of all.filter((candidate) => candidate.role === 'extra')) loadRows.push(await compare(service, endpoint, settings));
    return { loadRows, memory };
  } finally {
    await sampler.stop().catch(() => undefined);
    await service.stop();
  }
}

function summaryRows(seeded: SeededDatabase, write: WriteFigures, memory: MemoryFigures): BenchRow[] {
  const { configs, imagesPerConfig, findingsPerImage } = SEED_SHAPE;
  const findings = (configs * imagesPerConfig * findingsPerImage).toLocaleString('en');
  const written = WRITE_FINDINGS.toLocaleString('en');
  return [
    figure(
      `seed ${findings} findings (${configs} configurations × ${imagesPerConfig} images × ${findingsPerImage})`,
      `${seeded.seedSeconds.toFixed(1)} s${seeded.cached ? ' (when the cached file was made)' : ''}, ${megabytes(seeded.bytes)} file`,
      'reported',
      null,
    ),
    figure(`write a scan of ${written} findings, first scan of the image (median of ${write.runs})`, `${Math.round(write.firstWriteMs)} ms`, `≤ ${MAX_WRITE_MS} ms`, write.firstWriteMs <= MAX_WRITE_MS),
    figure(`write a scan of ${written} findings, rescan with 95 % found again (median of ${write.runs})`, `${Math.round(write.rescanMs)} ms`, `≤ ${MAX_WRITE_MS} ms`, write.rescanMs <= MAX_WRITE_MS),
    figure('service resident memory, peak sampled during the issue\'s load (summary, findings, POST)', megabytes(memory.peakRss), `≤ ${megabytes(MAX_RSS_BYTES)}`, memory.peakRss <= MAX_RSS_BYTES),
    figure('service resident memory, high-water mark (VmHWM) after that load', megabytes(memory.highWaterMark), `≤ ${megabytes(MAX_RSS_BYTES)}`, memory.highWaterMark <= MAX_RSS_BYTES),
    figure('machine', `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.version}`, 'reported', null),
  ];
}

export async function benchApi(): Promise<BenchRow[]> {
  const settings = readSettings(process.env);
  const seeded = await seededDatabase(BENCH_DATA_DIR, log);
  log(seeded.cached ? `reusing the seeded database ${seeded.file}` : `seeded in ${seeded.seedSeconds.toFixed(1)} s`);
  const database = await workingCopy(seeded.file, `${BENCH_DATA_DIR}/api-run.db`);
  try {
    const { loadRows, memory } = await loadService(database, settings);
    log(`writing scans of ${WRITE_FINDINGS} findings, ${WRITE_RUNS} times each way`);
    const write = await measureScanWrite(database, WRITE_RUNS);
    return [...loadRows, ...summaryRows(seeded, write, memory)];
  } finally {
    await removeDatabase(database);
  }
}
