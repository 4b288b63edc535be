import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, openFindingsByDay } from './finding-history.js';

const NOW = new Date('2026-12-07T15:00:00Z');
const TODAY = Math.floor(NOW.getTime() / DAY_MS);

describe('openFindingsByDay', () => {
  it('counts a finding from the day it was first seen until the day it closed', () => {
    const days = openFindingsByDay([{ severity: 'HIGH', openedDay: TODAY - 3, closedDay: TODAY - 1, count: 2 }], 5, NOW);
    assert.deepEqual(
      days.map((day) => day.counts.HIGH ?? 0),
      [0, 2, 2, 0, 0],
    );
    assert.equal(days.at(-1)?.date, '2026-12-07');
  });

  it('carries findings first seen before the window in from its first day, and open ones to today', () => {
    const days = openFindingsByDay(
      [
        { severity: 'LOW', openedDay: TODAY - 100, closedDay: null, count: 3 },
        { severity: 'moderate', openedDay: TODAY, closedDay: null, count: 1 },
      ],
      3,
      NOW,
    );
    assert.deepEqual(days.map((day) => day.counts), [{ LOW: 3 }, { LOW: 3 }, { LOW: 3, UNDEFINED: 1 }]);
  });

  it('leaves out findings closed before the window and ignores groups from after today', () => {
    const days = openFindingsByDay(
      [
        { severity: 'CRITICAL', openedDay: TODAY - 50, closedDay: TODAY - 10, count: 5 },
        { severity: 'CRITICAL', openedDay: TODAY + 1, closedDay: null, count: 5 },
      ],
      7,
      NOW,
    );
    assert.ok(days.every((day) => Object.keys(day.counts).length === 0));
  });
});
