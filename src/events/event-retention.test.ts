import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEventRetention } from './event-retention.js';

/** A store whose pruneEvents deletes from a list of event times, recording each call. */
function storeWith(times: number[]) {
  const events = [...times];
  const calls: Array<{ before: number; batch: number }> = [];
  return {
    events,
    calls,
    async pruneEvents(before: Date, batch: number): Promise<number> {
      calls.push({ before: before.getTime(), batch });
      let deleted = 0;
      for (let i = events.length - 1; i >= 0 && deleted < batch; i--) {
        if ((events[i] ?? Infinity) < before.getTime()) {
          events.splice(i, 1);
          deleted++;
        }
      }
      return deleted;
    },
  };
}

const quiet = { info: () => undefined, warn: () => undefined };

describe('event retention', () => {
  it('prunes everything older than the retention in batches at start, and keeps the rest', async () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const day = 86_400_000;
    const store = storeWith([...Array.from({ length: 25 }, (_, i) => now - 100 * day - i), now - day, now]);
    const stop = startEventRetention({ store, clock: { now: () => new Date(now) }, logger: quiet, retentionMs: 90 * day, batch: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stop();
    assert.deepEqual(store.events, [now - day, now]);
    assert.deepEqual(store.calls.map((call) => call.batch), [10, 10, 10]);
    assert.ok(store.calls.every((call) => call.before === now - 90 * day));
  });

  it('stops between batches when the service shuts down', async () => {
    const store = storeWith(Array.from({ length: 50 }, (_, i) => i));
    const stop = startEventRetention({ store, clock: { now: () => new Date(1_000) }, logger: quiet, retentionMs: 1, batch: 10 });
    await stop();
    assert.equal(store.calls.length, 1);
    assert.equal(store.events.length, 40);
  });

  it('runs again at every interval and keeps going after a failed pass', async () => {
    let now = 1_000_000;
    let failures = 1;
    const store = storeWith([]);
    const warnings: unknown[] = [];
    const pruneEvents = async (before: Date, batch: number): Promise<number> => {
      if (failures-- > 0) throw new Error('database is locked');
      return store.pruneEvents(before, batch);
    };
    const stop = startEventRetention({
      store: { pruneEvents },
      clock: { now: () => new Date(now) },
      logger: { info: () => undefined, warn: (details: unknown) => warnings.push(details) },
      retentionMs: 500,
      intervalMs: 20,
    });
    store.events.push(now - 1000);
    now += 10;
    await new Promise((resolve) => setTimeout(resolve, 120));
    await stop();
    assert.equal(warnings.length, 1, 'the failed pass is reported once');
    assert.deepEqual(store.events, []);
    assert.ok(store.calls.length >= 2, `${store.calls.length} passes`);
  });
});
