import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { missingExactTags, needsPushTimes, selectTags, type TagCandidate, type TagRule } from './tag-selection.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * 86_400_000);
const digest = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;

const CANDIDATES: TagCandidate[] = [
  { tag: '1.0', digest: digest(1), pushedAt: daysAgo(90) },
  { tag: '1.1', digest: digest(2), pushedAt: daysAgo(40) },
  { tag: '1.2-rc1', digest: digest(3), pushedAt: daysAgo(20) },
  { tag: '1.2', digest: digest(4), pushedAt: daysAgo(10) },
  { tag: 'latest', digest: digest(4), pushedAt: daysAgo(10) },
  { tag: 'nightly', digest: digest(5), pushedAt: daysAgo(1) },
  { tag: 'mystery', digest: digest(6), pushedAt: null },
];

const rule = (overrides: Partial<TagRule>): TagRule => ({ tags: null, exclude: null, newest: null, pushedWithin: null, ...overrides });
const tagsOf = (chosen: TagCandidate[]): string[] => chosen.map((candidate) => candidate.tag);

describe('selectTags', () => {
  test('newest N by push time, ties by tag, unknown push times last; the answer in tag order', () => {
    assert.deepEqual(tagsOf(selectTags(CANDIDATES, rule({ newest: 3 }), NOW)), ['1.2', 'latest', 'nightly']);
    assert.deepEqual(tagsOf(selectTags(CANDIDATES, rule({ newest: 7 }), NOW)).length, 7);
    assert.ok(!tagsOf(selectTags(CANDIDATES, rule({ newest: 6 }), NOW)).includes('mystery'), 'an unknown push time counts as the oldest');
  });

  test('pushedWithin keeps only tags pushed since then; an unknown push time never passes', () => {
    assert.deepEqual(tagsOf(selectTags(CANDIDATES, rule({ pushedWithin: '30d' }), NOW)), ['1.2', '1.2-rc1', 'latest', 'nightly']);
    assert.deepEqual(tagsOf(selectTags(CANDIDATES, rule({ pushedWithin: '1d12h' }), NOW)), ['nightly']);
  });

  test('exclude, tags, pushedWithin and newest combine', () => {
    const chosen = selectTags(CANDIDATES, rule({ tags: ['1.*'], exclude: ['*-rc*'], pushedWithin: '60d', newest: 1 }), NOW);
    assert.deepEqual(tagsOf(chosen), ['1.2']);
    assert.deepEqual(tagsOf(selectTags(CANDIDATES, rule({ exclude: ['nightly', 'm*'] }), NOW)), ['1.0', '1.1', '1.2', '1.2-rc1', 'latest']);
  });

  test('a tag listed twice is chosen once', () => {
    assert.deepEqual(tagsOf(selectTags([...CANDIDATES, CANDIDATES[0] as TagCandidate], rule({ tags: ['1.0'] }), NOW)), ['1.0']);
  });
});

describe('missingExactTags and needsPushTimes', () => {
  test('exact tags the listing lacks are missing, unless excluded; globs never are', () => {
    assert.deepEqual(missingExactTags(rule({ tags: ['1.0', '9.9', '8.*', 'gone'], exclude: ['gone'] }), new Set(['1.0'])), ['9.9']);
  });

  test('only newest and pushedWithin need push times', () => {
    assert.equal(needsPushTimes(rule({ tags: ['1.*'], exclude: ['x'] })), false);
    assert.equal(needsPushTimes(rule({ newest: 1 })), true);
    assert.equal(needsPushTimes(rule({ pushedWithin: '1d' })), true);
    assert.equal(needsPushTimes({ tags: null }), false, 'a configuration stored before these fields');
  });
});
