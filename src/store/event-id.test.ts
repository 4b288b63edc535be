import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate, version } from 'uuid';
import { eventId, seqOfEventId } from './event-id.js';

describe('event ids', () => {
  const time = Date.parse('2026-12-07T10:00:00.123Z');

  it('are UUIDv7 that the uuid package accepts, carrying the time', () => {
    const id = eventId(time, 42, 0x3ffffff);
    assert.ok(validate(id), id);
    assert.equal(version(id), 7);
    assert.equal(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16), time);
  });

  it('order by time, then by seq, and differ for every seq and salt', () => {
    const ids = [eventId(time, 2, 7), eventId(time, 3, 7), eventId(time + 1, 1, 7)];
    assert.deepEqual([...ids].sort(), ids);
    const many = new Set<string>();
    for (let seq = 1; seq <= 1000; seq++) many.add(eventId(time, seq, 7));
    many.add(eventId(time, 1, 8));
    assert.equal(many.size, 1001);
  });

  it('give back their seq, and nothing for other text', () => {
    for (const seq of [1, 255, 2 ** 40 + 5]) assert.equal(seqOfEventId(eventId(time, seq, 12345)), seq);
    assert.equal(seqOfEventId('01a25217-37ec-412d-bb31-913d1b9a50fc'), null);
    assert.equal(seqOfEventId('not-an-id'), null);
  });
});
