import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createScheduler, type SchedulerOptions } from '../src/scheduler/scheduler.js';
import { ScanError } from '../src/scanners/scanner.js';
import type { Store } from '../src/store/store.js';
import { databases, type TestDialect } from './support/databases.js';
import { createFakeClock, type FakeClock } from './support/fake-clock.js';
import { createMemoryScanner, finding, type MemoryScanner } from './support/memory-scanner.js';

const HOUR = 3600_000;

interface Harness {
  store: Store;
  clock: FakeClock;
  scanner: MemoryScanner;
  scheduler(overrides?: Partial<SchedulerOptions>): ReturnType<typeof createScheduler>;
}

async function harness(dialect: TestDialect, t: TestContext): Promise<Harness> {
  const store = await dialect.openStore();
  t.after(() => store.close());
  const clock = createFakeClock();
  const scanner = createMemoryScanner();
  return {
    store,
    clock,
    scanner,
    scheduler: (overrides = {}) =>
      createScheduler({
        store,
        scanners: { ecr: scanner, builtin: scanner },
        clock,
        logger: createLogger('silent'),
        metrics: createMetrics(),
        concurrency: 4,
        leaseMs: 60_000,
        defaultSchedule: '24h',
        ...overrides,
      }),
  };
}

async function addConfigs(h: Harness, count: number, schedule: string | null = null): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const repository = `team/app${i}`;
    h.scanner.setRepository(repository, { tags: { latest: `sha256:${i}`, stable: `sha256:s${i}` }, findings: { [`sha256:${i}`]: [finding('CVE-2024-1', 'HIGH')] } });
    const config = await h.store.createConfig(
      { region: null, registry: 'ghcr.io', repository, tags: null, schedule, scanner: 'builtin', platform: null },
      h.clock.now(),
    );
    ids.push(config.id);
  }
  return ids;
}

for (const dialect of await databases()) {
  describe(`scheduler on ${dialect.name}`, () => {
    it('scans each configuration exactly once per due period', async (t) => {
      const h = await harness(dialect, t);
      const ids = await addConfigs(h, 12, '6h');
      const scheduler = h.scheduler();
      assert.equal(await scheduler.runDue(), 12);
      assert.equal(await scheduler.runDue(), 0, 'nothing is due again at once');
      h.clock.advance(5 * HOUR);
      assert.equal(await scheduler.runDue(), 0, 'not due before the schedule says so');
      // Jitter adds at most 10 % of the interval.
      h.clock.advance(HOUR + 0.1 * 6 * HOUR + 1);
      assert.equal(await scheduler.runDue(), 12);
      for (const id of ids) assert.equal(h.scanner.scansPerConfig.get(id), 4, 'two images per configuration, two periods');
      const state = await h.store.getConfig(ids[0]!);
      assert.equal(state?.status, 'COMPLETE');
      assert.ok(state!.nextScan!.getTime() >= h.clock.now().getTime() + 6 * HOUR);
      assert.ok(state!.nextScan!.getTime() <= h.clock.now().getTime() + 6.6 * HOUR);
    });

    it('spreads configurations sharing a schedule with jitter', async (t) => {
      const h = await harness(dialect, t);
      await addConfigs(h, 20, '6h');
      await h.scheduler().runDue();
      const next = new Set((await h.store.listConfigs()).map((config) => config.nextScan?.getTime()));
      assert.ok(next.size >= 15, `next scans spread over ${next.size} distinct times`);
    });

    it('never has more images in flight than its concurrency', async (t) => {
      const h = await harness(dialect, t);
      await addConfigs(h, 10);
      h.scanner.delayMs = 15;
      await h.scheduler({ concurrency: 3, registryShare: 3 }).runDue();
      assert.equal(h.scanner.maxInFlight, 3, 'the bound is reached and never passed');
      assert.equal(h.scanner.calls.scan, 20);
    });

    it('gives one registry no more than its share of the slots', async (t) => {
      const h = await harness(dialect, t);
      await addConfigs(h, 6);
      h.scanner.delayMs = 15;
      await h.scheduler({ concurrency: 4 }).runDue();
      assert.equal(h.scanner.maxInFlight, 3, 'all slots but one by default');
      assert.equal(h.scanner.calls.scan, 12);
    });

    it('scans at most the image cap of a configuration and says what it left out', async (t) => {
      const h = await harness(dialect, t);
      const tags = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`v${String(i).padStart(2, '0')}`, `sha256:d${i}`]));
      h.scanner.setRepository('team/many', { tags, findings: {} });
      const config = await h.store.createConfig(
        { region: null, registry: 'ghcr.io', repository: 'team/many', tags: null, schedule: null, scanner: 'builtin', platform: null },
        h.clock.now(),
      );
      await h.scheduler({ maxImages: 10 }).runDue();
      const state = await h.store.getConfig(config.id);
      assert.equal(h.scanner.calls.scan, 10);
      assert.equal(state?.images.length, 10);
      assert.equal(state?.status, 'PARTIAL');
      assert.match(state?.lastError ?? '', /^20 more images than the cap of 10 per configuration were left out .*: v10, v11, .*v19, …$/);
    });

    it('ends a scan that outlives its deadline as FAILED, with the reason', async (t) => {
      const h = await harness(dialect, t);
      const [id] = await addConfigs(h, 1);
      h.scanner.delayMs = 5_000;
      await h.scheduler({ scanTimeoutMs: 100 }).runDue();
      const state = await h.store.getConfig(id!);
      assert.equal(state?.status, 'FAILED');
      assert.equal(state?.lastError, 'the scan took longer than its deadline of 100 ms (ECRSCAN_SCAN_TIMEOUT_MINUTES) and was stopped');
      assert.ok(state?.nextScan, 'it is due again later, not stuck');
    });

    it('ends a run whose results cannot be stored as FAILED, with the error, instead of looping', async (t) => {
      const h = await harness(dialect, t);
      const [id] = await addConfigs(h, 1);
      let refused = 0;
      const commitScan = h.store.commitScan.bind(h.store);
      const failing: Store = Object.assign(Object.create(h.store) as Store, {
        commitScan: async (result: Parameters<Store['commitScan']>[0]) => {
          if (result.images !== null) {
            refused += 1;
            throw new Error('too many SQL variables');
          }
          return commitScan(result);
        },
      });
      await h.scheduler({ store: failing }).runDue();
      const state = await h.store.getConfig(id!);
      assert.equal(refused, 1, 'tried once');
      assert.equal(state?.status, 'FAILED');
      assert.equal(state?.lastError, "the scan's results could not be stored: too many SQL variables");
      assert.equal(await h.scheduler({ store: failing }).runDue(), 0, 'nothing left due: no loop');
    });

    it('takes over the work of a crashed process once its lease expires', async (t) => {
      const h = await harness(dialect, t);
      const [id] = await addConfigs(h, 1);
      const crashed = await h.store.claimDueScans('crashed-process', h.clock.now(), 60_000, 10);
      assert.equal(crashed.length, 1);
      const survivor = h.scheduler();
      assert.equal(await survivor.runDue(), 0, 'a live lease is respected');
      h.clock.advance(61_000);
      assert.equal(await survivor.runDue(), 1);
      const state = await h.store.getConfig(id!);
      assert.equal(state?.status, 'COMPLETE');
      const late = await h.store.commitScan({
        configId: id!,
        runId: crashed[0]!.runId,
        owner: 'crashed-process',
        finishedAt: h.clock.now(),
        images: [],
        status: 'COMPLETE',
        error: null,
        nextScanAt: h.clock.now(),
      });
      assert.equal(late, false, 'the crashed process cannot write after the takeover');
      assert.deepEqual((await h.store.getConfig(id!))?.images.map((image) => image.tag), ['latest', 'stable']);
    });

    it('records a failing image on that image alone and a failing listing on the configuration', async (t) => {
      const h = await harness(dialect, t);
      const [good, broken] = await addConfigs(h, 2);
      h.scanner.repositories.get('team/app0')!.failures = { 'sha256:s0': new ScanError('UNSUPPORTED_IMAGE', 'the image uses an unsupported OS') };
      h.scanner.repositories.delete('team/app1');
      const lines: string[] = [];
      const logger = createLogger('warn', new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } }));
      await h.scheduler({ logger }).runDue();
      const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'scan failed');
      assert.deepEqual(
        warnings.map(({ level, configId, image, error }) => ({ level, configId, image, error })).sort((a, b) => String(a.image).localeCompare(String(b.image))),
        [
          { level: 40, configId: good, image: 'ghcr.io/team/app0:stable', error: 'the image uses an unsupported OS' },
          { level: 40, configId: broken, image: 'ghcr.io/team/app1', error: 'repository team/app1 does not exist' },
        ],
        'each failure is one warn line naming the configuration, the image and the error',
      );
      const partial = await h.store.getConfig(good!);
      assert.equal(partial?.status, 'PARTIAL');
      assert.match(partial?.lastError ?? '', /1 of 2 images not fully scanned; tag stable: the image uses an unsupported OS/);
      assert.deepEqual(partial?.images.map((image) => image.status), ['COMPLETE', 'UNSUPPORTED_IMAGE']);
      const failed = await h.store.getConfig(broken!);
      assert.equal(failed?.status, 'FAILED');
      assert.equal(failed?.lastError, 'repository team/app1 does not exist');
      assert.ok(failed!.nextScan!.getTime() <= h.clock.now().getTime() + 15 * 60_000, 'a failed scan is retried sooner');
    });

    it('cancels the scan of a deleted configuration and writes nothing for it', async (t) => {
      const h = await harness(dialect, t);
      const [id] = await addConfigs(h, 1);
      h.scanner.delayMs = 200;
      const scheduler = h.scheduler();
      const running = scheduler.runDue();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await h.store.deleteConfig(id!), true);
      scheduler.cancel(id!);
      await running;
      assert.equal(await h.store.getConfig(id!), undefined);
      assert.equal((await h.store.summary()).length, 0);
    });

    it('gives its leases back on stop so that another process takes the work at once', async (t) => {
      const h = await harness(dialect, t);
      const [id] = await addConfigs(h, 1);
      h.scanner.delayMs = 5000;
      const first = h.scheduler({ pollMs: 10 });
      first.start();
      await waitFor(async () => (await h.store.getConfig(id!))?.status === 'SCANNING');
      await first.stop();
      const state = await h.store.getConfig(id!);
      assert.equal(state?.status, 'QUEUED');
      h.scanner.delayMs = 0;
      assert.equal(await h.scheduler().runDue(), 1, 'no lease to wait for');
    });
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
