import assert from 'node:assert/strict';
import { it } from 'node:test';
import { backoffMs, DEFAULT_RETRY, nextAttempt } from './backoff.js';
import { retryAfter } from './sender.js';

it('doubles the pause per attempt up to the cap, with jitter between half and all of it', () => {
  assert.equal(backoffMs(DEFAULT_RETRY, 1, () => 1), 5_000);
  assert.equal(backoffMs(DEFAULT_RETRY, 1, () => 0), 2_500);
  assert.equal(backoffMs(DEFAULT_RETRY, 4, () => 1), 40_000);
  assert.equal(backoffMs(DEFAULT_RETRY, 40, () => 1), 3_600_000, 'capped at an hour');
});

it('retries what may pass, honours Retry-After, and gives up after 24 hours', () => {
  const created = new Date('2026-12-07T10:00:00Z');
  const now = new Date('2026-12-07T11:00:00Z');
  assert.equal(nextAttempt(DEFAULT_RETRY, { retryable: false, retryAfterMs: null }, 1, created, now), null);
  assert.equal(nextAttempt(DEFAULT_RETRY, { retryable: true, retryAfterMs: 120_000 }, 1, created, now)?.getTime(), now.getTime() + 120_000);
  const capped = nextAttempt(DEFAULT_RETRY, { retryable: true, retryAfterMs: 86_400_000 }, 1, created, now);
  assert.equal(capped?.getTime(), now.getTime() + 3_600_000, 'Retry-After is honoured up to an hour');
  const late = new Date(created.getTime() + 86_400_000 - 1_000);
  assert.equal(nextAttempt(DEFAULT_RETRY, { retryable: true, retryAfterMs: null }, 30, created, late), null, 'past 24 hours the message is given up');
});

it('reads Retry-After as seconds or as an HTTP date', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  assert.equal(retryAfter('30', now), 30_000);
  assert.equal(retryAfter('Mon, 07 Dec 2026 10:01:00 GMT', now), 60_000);
  assert.equal(retryAfter('soon', now), null);
  assert.equal(retryAfter(undefined, now), null);
});
