import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRequestBudget, MAX_PAUSE_MS } from './request-budget.js';

describe('createRequestBudget', () => {
  test('a host gets at most its connections at once; a release lets the next in', async () => {
    const budget = createRequestBudget({ limitsFor: () => ({ rps: 10_000, connections: 2 }) });
    const first = await budget.acquire('registry.example');
    await budget.acquire('registry.example');
    let third = false;
    const waiting = budget.acquire('registry.example').then((release) => {
      third = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(third, false, 'the third request waits for a slot');
    await budget.acquire('other.example');
    first();
    first();
    await waiting;
    assert.equal(third, true);
  });

  test('a second\'s worth at once, then spaced by the rate; the share divides the rate', async () => {
    let clock = 0;
    const budget = createRequestBudget({ limitsFor: () => ({ rps: 5, connections: 100 }), now: () => clock });
    for (let i = 0; i < 5; i++) (await budget.acquire('a.example'))();
    let sixth = false;
    const waiting = budget.acquire('a.example').then(() => (sixth = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sixth, false, 'a second\'s worth (five) went at once; the sixth waits for its turn');
    clock = 200;
    await waiting;
    assert.equal(sixth, true);
    const halved = createRequestBudget({ limitsFor: () => ({ rps: 10, connections: 100 }), share: () => 0.5, now: () => clock });
    for (let i = 0; i < 5; i++) (await halved.acquire('b.example'))();
    let blocked = true;
    const next = halved.acquire('b.example').then(() => (blocked = false));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(blocked, true, 'with half the share, five per second: the sixth waits');
    clock = 400;
    await next;
  });

  test('a paused host waits as a whole, other hosts do not; pauses are capped', async () => {
    let clock = 1_000_000;
    const budget = createRequestBudget({ limitsFor: () => ({ rps: 1000, connections: 10 }), now: () => clock });
    budget.pauseHost('slow.example', 2000);
    assert.equal(budget.pausedUntil('slow.example'), 1_002_000);
    let through = false;
    const waiting = budget.acquire('SLOW.example').then(() => (through = true));
    (await budget.acquire('fast.example'))();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(through, false);
    clock += 2000;
    await waiting;
    budget.pauseHost('slow.example', 24 * 3600_000);
    assert.equal(budget.pausedUntil('slow.example'), clock + MAX_PAUSE_MS);
  });

  test('a waiter that is aborted leaves without taking a slot', async () => {
    const budget = createRequestBudget({ limitsFor: () => ({ rps: 1000, connections: 1 }) });
    const release = await budget.acquire('h.example');
    const controller = new AbortController();
    const waiting = budget.acquire('h.example', controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    release();
    (await budget.acquire('h.example'))();
  });
});
