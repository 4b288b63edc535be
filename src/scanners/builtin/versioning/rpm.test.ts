import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compareRpmVersions, isValidRpmVersion, parseEvr, rpmComparator, rpmvercmp } from './rpm.js';

// rpm's own comparison list, tests/rpmvercmp.at, copied unchanged: `RPMVERCMP(a, b, expected)`;
// the `dnl` lines document behaviours rpm keeps on purpose ("oddities").
const RPMVERCMP_AT = readFileSync(new URL('./testdata/rpmvercmp.at', import.meta.url), 'utf8');

function vectors(oddities: boolean): { line: number; a: string; b: string; expected: number }[] {
  const found: { line: number; a: string; b: string; expected: number }[] = [];
  RPMVERCMP_AT.split('\n').forEach((text, index) => {
    const match = /^(dnl )?RPMVERCMP\(([^,]*), ([^,]*), (-?\d)\)$/.exec(text);
    if (!match || Boolean(match[1]) !== oddities) return;
    found.push({ line: index + 1, a: match[2] ?? '', b: match[3] ?? '', expected: Number(match[4]) });
  });
  return found;
}

describe("rpm version comparison: rpm's tests/rpmvercmp.at", () => {
  const cases = vectors(false);
  it('reads the whole list', () => assert.equal(cases.length, 91));
  for (const { line, a, b, expected } of cases) {
    it(`line ${line}: rpmvercmp(${a}, ${b}) = ${expected}`, () => {
      assert.equal(rpmvercmp(a, b), expected);
      assert.equal(rpmvercmp(b, a), expected === 0 ? 0 : -expected);
    });
  }

  describe('the oddities rpm documents and keeps', () => {
    const oddities = vectors(true);
    it('reads them all', () => assert.equal(oddities.length, 12));
    for (const { line, a, b, expected } of oddities) {
      it(`line ${line}: rpmvercmp(${a}, ${b}) = ${expected}`, () => assert.equal(rpmvercmp(a, b), expected));
    }
  });
});

describe('rpm version comparison: tilde and caret', () => {
  it('orders 1.0~~ < 1.0~rc1 < 1.0~rc2 < 1.0 < 1.0^ < 1.0^git1 < 1.0^git2 < 1.0a < 1.0.1', () => {
    const sorted = ['1.0~~', '1.0~rc1', '1.0~rc2', '1.0', '1.0^', '1.0^git1', '1.0^git2', '1.0a', '1.0.1'];
    for (let i = 0; i + 1 < sorted.length; i++) assert.equal(rpmvercmp(sorted[i] as string, sorted[i + 1] as string), -1, `${sorted[i]} < ${sorted[i + 1]}`);
    assert.deepEqual([...sorted].reverse().sort(rpmvercmp), sorted);
  });

  it('a tilde beats nothing, not even a separator; a caret loses to any segment', () => {
    assert.equal(rpmvercmp('1~', '1'), -1);
    assert.equal(rpmvercmp('1~', '1.'), -1);
    assert.equal(rpmvercmp('1^', '1.'), 1, 'trailing separators are skipped: 1. has ended');
    assert.equal(rpmvercmp('1^', '1.0'), -1);
    assert.equal(rpmvercmp('1^~', '1^'), -1);
  });

  it('compares numbers of any length without losing precision', () => {
    assert.equal(rpmvercmp('12345678901234567890', '12345678901234567891'), -1);
    assert.equal(rpmvercmp('000012345678901234567890', '12345678901234567890'), 0);
    assert.equal(rpmvercmp('1.0a', '1.0A'), 1, 'letters compare as bytes: A < a');
  });
});

describe('rpm epoch:version-release comparison', () => {
  it('parses as rpm does: epoch digits before ":", release after the last "-"', () => {
    assert.deepEqual(parseEvr('1:3.0.7-27.el9'), { epoch: '1', version: '3.0.7', release: '27.el9' });
    assert.deepEqual(parseEvr('3.0.7-27.el9'), { epoch: null, version: '3.0.7', release: '27.el9' });
    assert.deepEqual(parseEvr(':1.0-1'), { epoch: '0', version: '1.0', release: '1' });
    assert.deepEqual(parseEvr('1.0'), { epoch: null, version: '1.0', release: null });
    assert.deepEqual(parseEvr('a:1.0'), { epoch: null, version: 'a:1.0', release: null });
  });

  it('treats a missing epoch as 0', () => {
    assert.equal(compareRpmVersions('0:1.9.5p2-10.el9_6.1', '1.9.5p2-10.el9_6.1'), 0);
    assert.equal(compareRpmVersions('1:3.0.7-16.el9_2', '3.0.7-27.el9'), 1);
    assert.equal(compareRpmVersions('1:1.0-1', '2:0.1-1'), -1);
    assert.equal(compareRpmVersions('10:1.0-1', '9:2.0-1'), 1, 'epochs compare numerically');
  });

  it('compares the version before the release', () => {
    assert.equal(compareRpmVersions('1:3.0.7-16.el9_2', '1:3.0.7-27.el9'), -1);
    assert.equal(compareRpmVersions('1:3.0.7-27.el9', '1:3.0.7-27.el9_3'), -1);
    assert.equal(compareRpmVersions('1:3.0.1-43.el9_0', '1:3.0.7-1.el9'), -1);
    assert.equal(compareRpmVersions('5.14.0-427.13.1.el9_4', '5.14.0-427.2.1.el9_4'), 1);
    assert.equal(compareRpmVersions('2.9-1.el9', '2.10-1.el9'), -1);
    assert.equal(compareRpmVersions('1.0-1.el9', '1.0-1.el9~bootstrap'), 1, 'tilde in a release');
    assert.equal(compareRpmVersions('0:1.20.10-1.module+el9.3.0+111+aaaaaaaa', '0:1.20.10-1.module+el9.3.0+112+aaaaaaaa'), -1);
  });

  it('puts a missing release below an empty one, and an empty one below any other: 1 < 1- < 1-0', () => {
    assert.equal(compareRpmVersions('1', '1-'), -1);
    assert.equal(compareRpmVersions('1-', '1'), 1);
    assert.equal(compareRpmVersions('1-', '1-0'), -1);
    assert.equal(compareRpmVersions('1:1', '1:1-'), -1);
    assert.equal(compareRpmVersions('1-', '1-'), 0);
  });

  it('puts a missing release before any release', () => {
    assert.equal(compareRpmVersions('1.0', '1.0-0'), -1);
    assert.equal(compareRpmVersions('1.0', '1.0-1'), -1);
    assert.equal(compareRpmVersions('1.1', '1.0-1'), 1);
  });

  it('is the comparator of the RPM ecosystems', () => {
    assert.equal(rpmComparator.compare('1:3.0.7-27.el9', '1:3.0.7-16.el9_2'), 1);
    assert.equal(rpmComparator.isValid('1:3.0.7-27.el9'), true);
  });
});

describe('rpm version validity', () => {
  for (const version of ['1.0', '1:3.0.7-27.el9', '0:1.9.5p2-10.el9_6.1', '1.0~rc1-1', '1.0^git1-1.fc39', '2.36-9+deb12u4', '1.2.3_4-1']) {
    it(`accepts ${version}`, () => assert.equal(isValidRpmVersion(version), true));
  }
  for (const version of ['', '1.0 -1', '1.0-1-1', ':', '-1', '1:', 'a:1.0', '1.0/2', '1.0-']) {
    it(`refuses ${JSON.stringify(version)}`, () => assert.equal(isValidRpmVersion(version), false));
  }
});

/** rpm itself, through its Lua interpreter: `rpm.vercmp` for versions, `rpm.ver` objects for EVRs. */
function rpmAnswers(pairs: readonly [string, string][], kind: 'vercmp' | 'evr'): number[] | null {
  if (spawnSync('rpm', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const expression =
    kind === 'vercmp'
      ? (a: string, b: string) => `r[#r + 1] = rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)})`
      : (a: string, b: string) => `do local x, y = rpm.ver(${JSON.stringify(a)}), rpm.ver(${JSON.stringify(b)}); r[#r + 1] = x < y and -1 or (x == y and 0 or 1) end`;
  // rpm's Lua `print` concatenates without separators: the answers are joined explicitly.
  const script = ['local r = {}', ...pairs.map(([a, b]) => expression(a, b)), 'print(table.concat(r, " "))'].join('\n');
  const result = spawnSync('rpm', ['--eval', `%{lua:\n${script}\n}`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`rpm --eval failed: ${result.stderr}`);
  return result.stdout.trim().split(' ').map(Number);
}

const SAMPLES = ['0', '1', '1.0', '1.0.0', '1.00', '1.0a', '1.0b', '1.0~rc1', '1.0~rc1^git1', '1.0^', '1.0^git1', '1.01', '1.1', '2.0.1a', '5.5p10', '10xyz', 'xyz10', '1_0', 'a+b', '1..0', '1.0~~', 'r1', '20240101', '0001'];

describe('rpm version comparison agrees with the rpm binary', { skip: spawnSync('rpm', ['--version'], { stdio: 'ignore' }).status !== 0 && 'rpm not installed' }, () => {
  it('on every pair of a sample of tricky versions', () => {
    const pairs: [string, string][] = SAMPLES.flatMap((a) => SAMPLES.map((b): [string, string] => [a, b]));
    const expected = rpmAnswers(pairs, 'vercmp');
    assert.ok(expected);
    pairs.forEach(([a, b], index) => assert.equal(rpmvercmp(a, b), expected[index], `rpmvercmp(${a}, ${b})`));
  });

  it('on every pair of full epoch:version-release strings', () => {
    const evrs = ['1:3.0.7-27.el9', '3.0.7-27.el9', '0:3.0.7-27.el9', '1:3.0.7-16.el9_2', '2:1.0-1', '1.0-1~rc', '1.0^git1-1', '1.0-1.el9', '10:0.1-1', '1:3.0.7-27.el9_3'];
    const pairs: [string, string][] = evrs.flatMap((a) => evrs.map((b): [string, string] => [a, b]));
    const expected = rpmAnswers(pairs, 'evr');
    assert.ok(expected);
    pairs.forEach(([a, b], index) => assert.equal(compareRpmVersions(a, b), expected[index], `${a} vs ${b}`));
  });
});
