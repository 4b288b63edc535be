import { performance } from 'node:perf_hooks';
import type { BenchPostgres } from './bench-postgres.js';
import { cpuSecondsOf, machineTimes, postgresCpuSeconds } from './cpu-time.js';
import { type LoadFigures, type LoadTarget, runLoad } from './load.js';
import type { ServerProcess } from './processes.js';

/**
 * The API benchmark's requests against two services that differ only in their database:
 * the same seeded data on SQLite and on PostgreSQL. Loaded in alternating rounds, each side
 * reporting its best round, so that a burst of other work on the machine lowers one round
 * of one side rather than the ratio.
 */

export interface DialectRequest {
  label: string;
  request: Omit<LoadTarget, 'url'>;
  status: number;
}

export interface DialectSettings {
  connections: number;
  warmUpSeconds: number;
  rounds: number;
  seconds: number;
}

export interface SideFigures {
  load: LoadFigures;
  bodyBytes: number;
  /** CPU seconds per second of load: the service process, and the PostgreSQL server (null on SQLite). */
  serviceCpu: number;
  postgresCpu: number | null;
  /** The same for autocannon, in this process; and the share of the whole machine busy, of any process. */
  loadGeneratorCpu: number;
  machineBusy: number;
}

/** The requests of the API benchmark: the summary, the first Atom page of one feed, and registrations. */
export function apiRequests(configId: string): DialectRequest[] {
  let created = 0;
  return [
    { label: 'GET /summary (JSON)', request: { method: 'GET', path: '/summary', headers: { accept: 'application/json' } }, status: 200 },
    { label: 'GET /findings/{id} (Atom, first page)', request: { method: 'GET', path: `/findings/${configId}`, headers: { accept: 'application/atom+xml' } }, status: 200 },
    {
      label: 'POST /configs/',
      request: {
        method: 'POST',
        path: '/configs/',
        headers: { 'content-type': 'application/json' },
        // Every request registers a new repository, as users do.
        body: () => JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: `bench/load-${created++}`, tags: ['latest', '1.*'] }),
      },
      status: 201,
    },
  ];
}

/** Sends the request once: the answer must be the one meant; returns its body's size. */
async function probe(url: string, request: DialectRequest): Promise<number> {
  const { method, path, headers, body } = request.request;
  const response = await fetch(`${url}${path}`, { method, headers, body: body?.() });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== request.status) throw new Error(`${method} ${path} answered ${response.status}, not ${request.status}: ${bytes.toString().slice(0, 300)}`);
  return bytes.length;
}

type Round = Omit<SideFigures, 'bodyBytes'>;

async function measuredRound(service: ServerProcess, postgres: BenchPostgres | null, request: DialectRequest, seconds: number, connections: number): Promise<Round> {
  const serviceBefore = await cpuSecondsOf([service.pid]);
  const postgresBefore = postgres ? await postgresCpuSeconds(postgres.port) : 0;
  const [ownBefore, machineBefore] = [process.cpuUsage(), await machineTimes()];
  const started = performance.now();
  const load = await runLoad({ url: service.url, ...request.request }, { connections, seconds });
  const elapsed = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const machine = await machineTimes();
  return {
    load,
    serviceCpu: ((await cpuSecondsOf([service.pid])) - serviceBefore) / elapsed,
    postgresCpu: postgres ? ((await postgresCpuSeconds(postgres.port)) - postgresBefore) / elapsed : null,
    loadGeneratorCpu: (own.user + own.system) / 1e6 / elapsed,
    machineBusy: (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
  };
}

function best(rounds: Round[]): Round {
  const [first, ...rest] = rounds;
  if (!first) throw new Error('no load round to report');
  return rest.reduce((top, round) => (round.load.rps > top.load.rps ? round : top), first);
}

/** Loads `request` on the SQLite service and the PostgreSQL service in turn; figures of each side's best round. */
export async function compareDialects(
  sqlite: ServerProcess,
  postgresService: ServerProcess,
  postgres: BenchPostgres,
  request: DialectRequest,
  settings: DialectSettings,
): Promise<{ sqlite: SideFigures; postgres: SideFigures }> {
  const sqliteBytes = await probe(sqlite.url, request);
  const postgresBytes = await probe(postgresService.url, request);
  const { connections, warmUpSeconds, rounds, seconds } = settings;
  await runLoad({ url: sqlite.url, ...request.request }, { connections, seconds: warmUpSeconds });
  await runLoad({ url: postgresService.url, ...request.request }, { connections, seconds: warmUpSeconds });
  const sqliteRounds: Round[] = [];
  const postgresRounds: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    sqliteRounds.push(await measuredRound(sqlite, null, request, seconds, connections));
    postgresRounds.push(await measuredRound(postgresService, postgres, request, seconds, connections));
  }
  const side = (figures: Round, bodyBytes: number): SideFigures => ({ ...figures, bodyBytes });
  return { sqlite: side(best(sqliteRounds), sqliteBytes), postgres: side(best(postgresRounds), postgresBytes) };
}
