import assert from 'node:assert/strict';
import { it } from 'node:test';
import { globMatches } from './glob.js';

it('matches * as any run of characters, / included, and everything else literally', () => {
  assert.ok(globMatches('team/*', 'team/api'));
  assert.ok(globMatches('team/*', 'team/'));
  assert.ok(globMatches('*', ''));
  assert.ok(globMatches('*/api', 'org/team/api'));
  assert.ok(globMatches('a*b*c', 'aXbYc'));
  assert.ok(globMatches('a*b*c', 'abc'));
  assert.ok(globMatches('a*aa*a', 'aaaa'));
  assert.ok(!globMatches('a*aa*a', 'aaa'), 'pieces may not overlap');
  assert.ok(!globMatches('team/*', 'other/api'));
  assert.ok(!globMatches('team/api', 'team/api2'));
  assert.ok(!globMatches('a.c', 'abc'), 'a dot is a dot');
  assert.ok(globMatches('*abab*', 'xxabaabab'), 'the search backs off through its failure table');
});

it('stays linear on patterns that make backtracking matchers explode', () => {
  const text = 'a'.repeat(200_000);
  const pattern = `${'*a'.repeat(50)}*ab*`;
  const started = process.hrtime.bigint();
  assert.equal(globMatches(pattern, text), false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // A backtracking matcher needs on the order of n^50 steps here; ours reads the text about once per piece.
  assert.ok(ms < 2_000, `took ${ms} ms`);
});
