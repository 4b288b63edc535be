import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewDelivery, SubscriptionInput } from '../src/domain/subscription.js';
import { generateSecret } from '../src/notify/secrets.js';
import type { Store } from '../src/store/store.js';
import { databases } from './support/databases.js';

const T0 = new Date('2026-12-07T10:00:00Z');
const LEASE_MS = 60_000;

function input(url: string): SubscriptionInput {
  return {
    url,
    format: 'json',
    filters: { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false },
    digest: 'run',
    sendEmpty: false,
    description: null,
    secret: generateSecret(),
    createdBy: null,
  };
}

function message(subscriptionId: string, messageId: string): NewDelivery {
  return { subscriptionId, messageId, kind: 'test', configId: null, runId: null, eventTime: null, contentType: 'application/json', body: '{}' };
}

async function queue(store: Store, subscriptionId: string, ids: string[], at: Date): Promise<void> {
  for (const id of ids) assert.equal(await store.enqueueDelivery(message(subscriptionId, id), at), true);
}

for (const dialect of await databases()) {
  describe(`the delivery queue (${dialect.name})`, () => {
    it('leases only the oldest unfinished message of each subscription, to one owner at a time', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      const a = await store.createSubscription(input('https://a.example/hook'), T0);
      const b = await store.createSubscription(input('https://b.example/hook'), T0);
      await queue(store, a.id, ['a1', 'a2', 'a3'], T0);
      await queue(store, b.id, ['b1'], T0);
      await queue(store, a.id, ['a1'], T0);

      const first = await store.claimDeliveries('one', T0, LEASE_MS, 10);
      assert.deepEqual(first.map((claimed) => claimed.messageId), ['a1', 'b1'], 'heads only; a message queued twice is queued once');
      assert.deepEqual(await store.claimDeliveries('two', T0, LEASE_MS, 10), [], 'leased heads block their queues');

      const a1 = first[0]!;
      await store.finishDeliveries(
        [{ seq: a1.seq, subscriptionId: a.id, owner: 'one', at: T0, ok: false, statusCode: 503, error: 'HTTP 503', durationMs: 5, retryAt: new Date(T0.getTime() + 5_000) }],
        2,
      );
      assert.deepEqual(await store.claimDeliveries('two', T0, LEASE_MS, 10), [], 'a message waiting to be retried still holds its queue');
      const retried = await store.claimDeliveries('two', new Date(T0.getTime() + 5_000), LEASE_MS, 10);
      assert.deepEqual(retried.map((claimed) => claimed.messageId), ['a1']);
      assert.equal(retried[0]?.attempts, 1);

      const late = new Date(T0.getTime() + 5_000 + LEASE_MS + 1);
      const takenOver = await store.claimDeliveries('three', late, LEASE_MS, 10);
      assert.deepEqual(takenOver.map((claimed) => claimed.messageId).sort(), ['a1', 'b1'], 'expired leases are taken over');
      await store.finishDeliveries(
        [{ seq: retried[0]!.seq, subscriptionId: a.id, owner: 'two', at: late, ok: true, statusCode: 204, error: null, durationMs: 5, retryAt: null }],
        2,
      );
      assert.equal((await store.listDeliveries(a.id, 10)).find((record) => record.messageId === 'a1')?.status, 'pending', 'a lost lease records the attempt only');
      await store.finishDeliveries(
        takenOver.map((claimed) => ({ seq: claimed.seq, subscriptionId: claimed.subscription.id, owner: 'three', at: late, ok: true, statusCode: 200, error: null, durationMs: 5, retryAt: null })),
        2,
      );
      assert.deepEqual((await store.claimDeliveries('four', late, LEASE_MS, 10)).map((claimed) => claimed.messageId), ['a2'], 'the next in line');
      const history = (await store.listDeliveries(a.id, 10)).find((record) => record.messageId === 'a1');
      assert.equal(history?.status, 'delivered');
      assert.deepEqual(history?.history.map((attempt) => attempt.statusCode), [200, 204, 503]);
    });

    it('marks a subscription failing after repeated failures and prunes finished messages only', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      const sub = await store.createSubscription(input('https://a.example/hook'), T0);
      await queue(store, sub.id, ['m1', 'm2'], T0);
      let now = T0;
      for (let attempt = 0; attempt < 2; attempt++) {
        const [claimed] = await store.claimDeliveries('one', now, LEASE_MS, 1);
        assert.ok(claimed);
        await store.finishDeliveries([{ seq: claimed.seq, subscriptionId: sub.id, owner: 'one', at: now, ok: false, statusCode: null, error: 'ECONNREFUSED', durationMs: 1, retryAt: now }], 2);
        now = new Date(now.getTime() + 1_000);
      }
      assert.equal(await store.countFailingSubscriptions(), 1);
      assert.equal((await store.getSubscription(sub.id))?.failingSince?.getTime(), T0.getTime() + 1_000);
      const [claimed] = await store.claimDeliveries('one', now, LEASE_MS, 1);
      await store.finishDeliveries([{ seq: claimed!.seq, subscriptionId: sub.id, owner: 'one', at: now, ok: true, statusCode: 204, error: null, durationMs: 1, retryAt: null }], 2);
      assert.equal(await store.countFailingSubscriptions(), 0, 'a success clears it');

      const week = new Date(T0.getTime() + 8 * 86_400_000);
      assert.equal(await store.pruneDeliveries(week, 100), 1, 'the delivered message goes');
      assert.deepEqual((await store.listDeliveries(sub.id, 10)).map((record) => record.messageId), ['m2'], 'the pending one stays');
      assert.equal(await store.deleteSubscription(sub.id), true);
      assert.equal(await store.enqueueDelivery(message(sub.id, 'm3'), week), false, 'nothing is queued for a removed subscription');
    });
  });
}
