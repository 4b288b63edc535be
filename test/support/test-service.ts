import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { InventoryReader } from '../../src/scanners/builtin/inventory-cache.js';
import type { AdvisoryControl } from '../../src/scanners/builtin/osv/advisory-control.js';
import { createScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import type { ApiToken } from '../../src/http/tokens.js';
import type { Store } from '../../src/store/store.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { createMemoryScanner, type MemoryScanner } from './memory-scanner.js';

export interface TestService {
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  scanner: MemoryScanner;
  clock: FakeClock;
  close(): Promise<void>;
}

/**
 * The API and the scheduler over a given store, with the in-memory scanner standing in
 * for both real scanners and a clock the test drives. The scheduler is not started: tests
 * call `scheduler.runDue()` to run exactly what is due.
 */
export interface TestServiceOptions {
  apiToken?: string;
  tokens?: ApiToken[];
  corsOrigins?: string[];
  concurrency?: number;
  publicUrl?: string;
  trustedProxies?: string[];
  /** The built-in scanner's advisory data (GET /advisories, POST /advisories/import); none by default. */
  advisories?: AdvisoryControl;
  /** The built-in scanner's kept inventories (GET …/sbom); none by default. */
  inventories?: InventoryReader;
}

export async function createTestService(store: Store, options: TestServiceOptions = {}): Promise<TestService> {
  const clock = createFakeClock();
  const logger = createLogger('silent');
  const metrics = createMetrics();
  const scanner = createMemoryScanner();
  const scheduler = createScheduler({
    store,
    scanners: { ecr: scanner, builtin: scanner },
    clock,
    logger,
    metrics,
    concurrency: options.concurrency ?? 4,
    leaseMs: 60_000,
    defaultSchedule: '24h',
  });
  const app = await buildApp({
    store,
    config: {
      schedule: '24h',
      apiToken: options.apiToken ?? null,
      corsOrigins: options.corsOrigins ?? [],
      publicUrl: options.publicUrl ?? null,
      trustedProxies: options.trustedProxies ?? [],
    },
    ...(options.tokens ? { tokens: options.tokens } : {}),
    ...(options.advisories ? { advisories: options.advisories } : {}),
    ...(options.inventories ? { inventories: options.inventories } : {}),
    logger,
    metrics,
    clock,
    scans: { wake: () => undefined, cancel: (id) => scheduler.cancel(id) },
  });
  return {
    app,
    store,
    scheduler,
    scanner,
    clock,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
