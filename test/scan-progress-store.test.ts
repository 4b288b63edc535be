import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';
import { progressWriter } from '../src/scheduler/progress-writer.js';
import { databases } from './support/databases.js';

const LEASE_MS = 60_000;
const at = (ms: number): Date => new Date(Date.UTC(2026, 11, 7) + ms);
const input = (repository: string) => ({ region: null, registry: 'ghcr.io', repository, tags: null, schedule: null, scanner: 'builtin' as const, platform: null });

for (const dialect of await databases()) {
  describe(`scan progress and lease holders on ${dialect.name}`, () => {
    it('a running scan shows its progress; a new run starts without the last one\'s', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      const config = await store.createConfig({ ...input('team/*'), newest: 5, pushedWithin: '30d', exclude: ['*-rc'] }, at(0));
      assert.deepEqual([config.newest, config.pushedWithin, config.exclude, config.progress], [5, '30d', ['*-rc'], null]);
      const [claim] = await store.claimDueScans('scanner-a', at(1), LEASE_MS, 1);
      assert.ok(claim);
      assert.equal((await store.getConfig(config.id))?.progress, null, 'no progress before the images are listed');
      await store.reportProgress(config.id, 'scanner-a', { done: 3, total: 40 });
      await store.reportProgress(config.id, 'someone-else', { done: 39, total: 40 });
      assert.deepEqual((await store.getConfig(config.id))?.progress, { done: 3, total: 40 }, 'only the lease holder reports');
      const revision = await store.revision();
      await store.reportProgress(config.id, 'scanner-a', { done: 4, total: 40 });
      assert.equal(await store.revision(), revision, 'progress is not a change feeds and the summary show');
      await store.commitScan({ configId: config.id, runId: claim.runId, owner: 'scanner-a', finishedAt: at(2), images: [], status: 'COMPLETE', error: null, nextScanAt: at(3) });
      assert.equal((await store.getConfig(config.id))?.progress, null, 'no progress once the scan is over');
      await store.requestScan(config.id, at(4));
      await store.claimDueScans('scanner-a', at(5), LEASE_MS, 1);
      assert.equal((await store.getConfig(config.id))?.progress, null, 'a new run does not show the last one\'s count');
    });

    it('counts the processes holding live leases, which split each registry\'s budget', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      for (const name of ['a', 'b', 'c', 'd']) await store.createConfig(input(`team/${name}`), at(0));
      assert.equal(await store.leaseHolders(at(1)), 0);
      await store.claimDueScans('scanner-a', at(1), LEASE_MS, 2);
      await store.claimDueScans('scanner-b', at(1), LEASE_MS, 1);
      assert.equal(await store.leaseHolders(at(2)), 2, 'two processes, whatever the number of leases each holds');
      assert.equal(await store.leaseHolders(at(1 + LEASE_MS)), 0, 'expired leases are of processes gone or idle');
    });
  });
}

describe('progressWriter', () => {
  it('writes the first report at once and then at most one per interval, the latest waiting one', async () => {
    const written: string[] = [];
    const store = { reportProgress: async (_id: string, _owner: string, p: { done: number; total: number }) => void written.push(`${p.done}/${p.total}`) };
    const report = progressWriter(store, 'c1', 'owner', createLogger('silent'), 100);
    report({ done: 0, total: 50 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let done = 1; done <= 20; done++) report({ done, total: 50 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(written, ['0/50', '20/50']);
  });
});
