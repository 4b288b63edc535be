import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/clock.js';
import type { ScanConfig } from '../src/domain/scan-config.js';
import type { SubscriptionInput } from '../src/domain/subscription.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createNotifier } from '../src/notify/notifier.js';
import { createNotifyMetrics } from '../src/notify/notify-metrics.js';
import { generateSecret } from '../src/notify/secrets.js';
import { openDatabase } from '../src/store/open-store.js';
import type { ClaimedScan, Store } from '../src/store/store.js';
import { startBenchPostgres } from './support/bench-postgres.js';
import { buildService } from './support/build-service.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { sampleMemory, startServiceProcess } from './support/processes.js';
import { syntheticFindings } from './support/synthetic-findings.js';
import type { BenchRow } from './support/table.js';

/**
 * Webhook delivery (targets: event to delivered p50 ≤ 1 s and p99 ≤ 2 s after the scan
 * commit; 1,000 subscriptions × one event each delivered at ≥ 500 requests/s with the
 * service within 250 MB). Scans are committed through the real store, as the scheduler
 * commits them, and a local plain node:http receiver notes when each message arrives.
 *
 * - SQLite, one process: the store, the notifier and the commits share the process, as in
 *   `ecrscan serve`, so a commit wakes the relay directly.
 * - PostgreSQL: `ecrscan serve` compiled, as its own process; the benchmark commits from
 *   its own connection pool, so the service hears of the commit by LISTEN/NOTIFY, as a
 *   scheduler-only or API process's commits reach a delivering process in production.
 *   The 1,000-subscription burst runs there, with the service's memory sampled.
 */

const LATENCY_COMMITS = 200;
const BURST_SUBSCRIPTIONS = 1_000;
const DUE_AT = new Date(Date.UTC(2020, 0, 1));
const LATER = new Date(Date.UTC(2036, 0, 1));

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface Receiver {
  url: string;
  /** Arrival time (ms since the epoch) by run id, and every arrival. */
  arrivals: Map<string, number[]>;
  count(): number;
  waitFor(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number[]>();
  let total = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      const runId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { runId: string | null }).runId ?? '';
      arrivals.set(runId, [...(arrivals.get(runId) ?? []), at]);
      total++;
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    count: () => total,
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (total < n) {
        if (Date.now() > deadline) throw new Error(`only ${total} of ${n} webhook messages arrived within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function configInput(n: number): Omit<ScanConfig, 'id' | 'created'> {
  return { region: 'us-west-2', registry: '123456789012', repository: `bench/hooks-${n}`, tags: ['latest'], schedule: null, scanner: 'ecr', platform: null };
}

/** Configurations claimed ahead, so that a service's own scheduler never takes them. */
async function claimConfigs(store: Store, count: number): Promise<ClaimedScan[]> {
  for (let n = 0; n < count; n++) await store.createConfig(configInput(n), DUE_AT);
  const claimed = await store.claimDueScans('bench', new Date(), 3_600_000, count);
  if (claimed.length !== count) throw new Error(`claimed ${claimed.length} of ${count} configurations`);
  return claimed;
}

/** One scan of one image with one new finding; resolves when committed, with that time. */
async function commitOne(store: Store, claim: ClaimedScan, n: number): Promise<number> {
  const written = await store.commitScan({
    configId: claim.config.id,
    runId: claim.runId,
    owner: 'bench',
    finishedAt: new Date(),
    images: [{ tag: 'latest', digest: `sha256:${String(n).padStart(64, '0')}`, status: 'COMPLETE', error: null, scanner: 'ecr', findings: syntheticFindings([n]) }],
    status: 'COMPLETE',
    error: null,
    nextScanAt: LATER,
  });
  if (!written) throw new Error('the webhook benchmark lost a lease');
  return Date.now();
}

function subscription(url: string): SubscriptionInput {
  return {
    url,
    format: 'json',
    filters: { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false },
    digest: 'run',
    sendEmpty: false,
    description: null,
    secret: generateSecret(),
    createdBy: 'bench',
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Commits one scan at a time, 20 ms apart, and takes each one's commit-to-arrival time. */
async function latencies(store: Store, claims: ClaimedScan[], receiver: Receiver): Promise<number[]> {
  const taken: number[] = [];
  for (const [n, claim] of claims.entries()) {
    const before = receiver.count();
    const committedAt = await commitOne(store, claim, n);
    await receiver.waitFor(before + 1, 30_000);
    const arrived = receiver.arrivals.get(claim.runId)?.[0];
    if (arrived === undefined) throw new Error('a message arrived for another run');
    taken.push(arrived - committedAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return taken.sort((a, b) => a - b);
}

function latencyRow(setting: string, sorted: number[]): BenchRow {
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  return {
    setting,
    commits: sorted.length,
    'p50 ms': p50,
    'p99 ms': p99,
    'max ms': sorted.at(-1) ?? 0,
    goal: 'p50 ≤ 1000, p99 ≤ 2000',
    result: p50 <= 1000 && p99 <= 2000 ? 'pass' : 'FAIL',
  };
}

async function latencyOnSqlite(receiver: Receiver): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-bench-hooks-'));
  const { store } = await openDatabase(join(dir, 'hooks.db'));
  const metrics = createMetrics();
  const notifier = createNotifier({
    store,
    clock: systemClock,
    logger: createLogger('warn'),
    metrics: createNotifyMetrics(metrics.registry, () => store.countFailingSubscriptions()),
    publicUrl: 'http://127.0.0.1:8080',
    allowPrivate: true,
    timeoutMs: 10_000,
  });
  try {
    const claims = await claimConfigs(store, LATENCY_COMMITS);
    await store.createSubscription(subscription(`${receiver.url}/sqlite`), new Date());
    notifier.start();
    log(`SQLite: ${LATENCY_COMMITS} scan commits, one message each`);
    return latencyRow('SQLite, commit in the delivering process', await latencies(store, claims, receiver));
  } finally {
    await notifier.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchWebhooks(): Promise<BenchRow[]> {
  const receiver = await startReceiver();
  const rows: BenchRow[] = [];
  try {
    rows.push(await latencyOnSqlite(receiver));
    const postgres = await startBenchPostgres();
    try {
      const url = await postgres.createDatabase('ecrscan_hooks');
      const { store } = await openDatabase(url);
      try {
        const claims = await claimConfigs(store, LATENCY_COMMITS + 1);
        const entry = await buildService(`${BENCH_DATA_DIR}/build`);
        const service = await startServiceProcess({
          nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [],
          entry,
          env: { DATABASE_URL: url, LOG_LEVEL: 'warn', ECRSCAN_WEBHOOK_ALLOW_PRIVATE: 'true', ECRSCAN_MODE: 'all' },
        });
        try {
          const latency = await store.createSubscription(subscription(`${receiver.url}/postgres`), new Date());
          log(`PostgreSQL: ${LATENCY_COMMITS} scan commits from another process, one message each`);
          rows.push(latencyRow('PostgreSQL, commit in another process (LISTEN/NOTIFY)', await latencies(store, claims.slice(0, LATENCY_COMMITS), receiver)));
          await store.deleteSubscription(latency.id);

          for (let n = 0; n < BURST_SUBSCRIPTIONS; n++) await store.createSubscription(subscription(`${receiver.url}/burst/${n}`), new Date());
          log(`PostgreSQL: one scan commit to ${BURST_SUBSCRIPTIONS} subscriptions`);
          const memory = sampleMemory(service.pid, 20);
          const before = receiver.count();
          const claim = claims[LATENCY_COMMITS] as ClaimedScan;
          const committedAt = await commitOne(store, claim, LATENCY_COMMITS);
          await receiver.waitFor(before + BURST_SUBSCRIPTIONS, 120_000);
          const figures = await memory.stop();
          const arrivals = (receiver.arrivals.get(claim.runId) ?? []).sort((a, b) => a - b);
          const first = arrivals[0] ?? committedAt;
          const last = arrivals.at(-1) ?? committedAt;
          const rate = BURST_SUBSCRIPTIONS / ((last - committedAt) / 1000);
          const peakMiB = Math.round(figures.peakRss / 1024 / 1024);
          rows.push({
            figure: `${BURST_SUBSCRIPTIONS} subscriptions × one event, PostgreSQL`,
            'commit to first ms': first - committedAt,
            'commit to last ms': last - committedAt,
            'requests/s': Math.round(rate),
            'service peak RSS MiB': peakMiB,
            goal: '≥ 500 requests/s, RSS ≤ 250 MiB',
            result: rate >= 500 && peakMiB <= 250 ? 'pass' : 'FAIL',
          });
        } finally {
          await service.stop();
        }
      } finally {
        await store.close();
      }
    } finally {
      await postgres.stop();
    }
  } finally {
    await receiver.close();
  }
  return rows;
}
