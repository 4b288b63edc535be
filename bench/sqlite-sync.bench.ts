import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { systemClock } from '../src/clock.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { openDatabase } from '../src/store/open-store.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import type { BenchRow } from './support/table.js';

/**
 * What `synchronous=FULL` costs an acknowledged write: `POST /configs/` through the whole
 * app (routing, validation, the store's transaction) on a SQLite file on the machine's
 * disk, one request after another, so that every request waits for its own commit. The
 * two settings alternate, round after round on the same database, and each reports its
 * best round: a burst of other work on a shared machine then spoils one round, not a
 * setting. `inject` keeps the network out of the figure.
 */

const ROUNDS = 3;
const REQUESTS = Number(process.env.BENCH_SYNC_REQUESTS ?? 400);
const BODY = JSON.stringify({ registry: 'registry.example:5000', repository: 'acme/app', tags: ['latest'] });

interface Round {
  rps: number;
  p50: number;
  p99: number;
}

export async function benchSqliteSync(): Promise<BenchRow[]> {
  await mkdir(BENCH_DATA_DIR, { recursive: true });
  const dir = await mkdtemp(join(BENCH_DATA_DIR, 'sqlite-sync-'));
  const { store, db } = await openDatabase(join(dir, 'sync.db'));
  const logger = createLogger('silent');
  const app = await buildApp({ store, config: { schedule: '24h', apiToken: null }, logger, metrics: createMetrics(), clock: systemClock });
  const best: Record<'NORMAL' | 'FULL', Round | null> = { NORMAL: null, FULL: null };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const setting of ['NORMAL', 'FULL'] as const) {
        await sql.raw(`PRAGMA synchronous = ${setting}`).execute(db);
        const latencies: number[] = [];
        const started = performance.now();
        for (let i = 0; i < REQUESTS; i++) {
          const t0 = performance.now();
          const response = await app.inject({ method: 'POST', url: '/configs/', headers: { 'content-type': 'application/json' }, payload: BODY });
          if (response.statusCode !== 201) throw new Error(`POST /configs/ answered ${response.statusCode}: ${response.body}`);
          latencies.push(performance.now() - t0);
        }
        const seconds = (performance.now() - started) / 1000;
        latencies.sort((a, b) => a - b);
        const result = { rps: REQUESTS / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? 0 };
        const previous = best[setting];
        if (!previous || result.rps > previous.rps) best[setting] = result;
      }
    }
  } finally {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  const normal = best.NORMAL!;
  const full = best.FULL!;
  const row = (setting: string, figures: Round): BenchRow => ({
    setting,
    'POST /configs/ one at a time, rps': Math.round(figures.rps),
    'p50 ms': Number(figures.p50.toFixed(2)),
    'p99 ms': Number(figures.p99.toFixed(2)),
    'rps against NORMAL': Number((figures.rps / normal.rps).toFixed(2)),
  });
  return [row('synchronous=NORMAL (before)', normal), row('synchronous=FULL (now)', full)];
}
