import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLimiter } from './limiter.js';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('limiter', () => {
  it('gives one key no more than its share, and lets other keys past its waiters', async () => {
    const limiter = createLimiter(4, 2);
    const slow = gate();
    const started: string[] = [];
    const run = (key: string, until: Promise<void>) =>
      limiter.run(async () => {
        started.push(key);
        await until;
      }, undefined, key);
    const stalled = [run('slow', slow.promise), run('slow', slow.promise), run('slow', slow.promise), run('slow', slow.promise)];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['slow', 'slow'], 'two slots of four for the stalled registry');
    assert.equal(limiter.waiting, 2);
    await Promise.all([run('healthy', Promise.resolve()), run('healthy', Promise.resolve()), run('other', Promise.resolve())]);
    assert.deepEqual(started.slice(2), ['healthy', 'healthy', 'other'], 'healthy registries ran while the slow one waited');
    slow.open();
    await Promise.all(stalled);
    assert.equal(started.filter((key) => key === 'slow').length, 4);
    assert.equal(limiter.active, 0);
  });

  it('keeps the overall bound and drops aborted waiters', async () => {
    const limiter = createLimiter(1);
    const first = gate();
    const running = limiter.run(() => first.promise);
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', controller.signal);
    assert.equal(limiter.waiting, 1);
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    assert.equal(limiter.waiting, 0);
    first.open();
    await running;
    assert.equal(await limiter.run(async () => 'ran'), 'ran');
  });
});
