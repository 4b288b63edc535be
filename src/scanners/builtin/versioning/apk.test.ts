import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { apkComparator, compareApkVersions, isValidApkVersion } from './apk.js';

// apk-tools 3's own list (`test/unit/version.data` of its master branch), copied unchanged
// (see testdata/README.md): `a op b` comparisons, `version` and `!version` validity checks,
// `#` comments. Fuzzy matches (`~`, `<~`, `!~`: "same release branch") are not an
// ordering and are left out.
const VERSION_DATA = readFileSync(new URL('./testdata/apk-tools-3-version.data', import.meta.url), 'utf8');

const EXPECTED: Readonly<Record<string, number>> = { '<': -1, '=': 0, '>': 1 };

function lines(): { line: number; parts: string[] }[] {
  return VERSION_DATA.split('\n')
    .map((text, index) => ({ parts: text.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean), line: index + 1 }))
    .filter(({ parts }) => parts.length > 0);
}

describe("apk version comparison: apk-tools 3's test/unit/version.data", () => {
  const all = lines();
  const comparisons = all.filter(({ parts }) => parts.length === 3 && !(parts[1] ?? '').includes('~'));
  const validity = all.filter(({ parts }) => parts.length === 1);
  it('reads the whole list', () => {
    assert.equal(comparisons.length, 738);
    assert.equal(validity.length, 31);
  });
  for (const { line, parts } of comparisons) {
    const [a = '', op = '', b = ''] = parts;
    it(`line ${line}: ${a} ${op} ${b}`, () => {
      const expected = EXPECTED[op];
      assert.notEqual(expected, undefined, `unknown operator ${op}`);
      assert.equal(compareApkVersions(a, b), expected);
      assert.equal(compareApkVersions(b, a), expected === 0 ? 0 : -(expected as number));
    });
  }
  for (const { line, parts } of validity) {
    const text = parts[0] ?? '';
    const invalid = text.startsWith('!');
    it(`line ${line}: ${text}`, () => assert.equal(isValidApkVersion(invalid ? text.slice(1) : text), !invalid));
  }
});

describe('apk version comparison: suffixes, revisions and hashes', () => {
  it('orders every suffix: _alpha < _beta < _pre < _rc < release < _cvs < _svn < _git < _hg < _p', () => {
    const sorted = ['1.0_alpha', '1.0_beta', '1.0_pre', '1.0_rc', '1.0', '1.0_cvs', '1.0_svn', '1.0_git', '1.0_hg', '1.0_p'];
    for (let i = 0; i + 1 < sorted.length; i++) {
      assert.equal(compareApkVersions(sorted[i] as string, sorted[i + 1] as string), -1, `${sorted[i]} < ${sorted[i + 1]}`);
    }
    assert.deepEqual([...sorted].reverse().sort(compareApkVersions), sorted);
  });

  it('numbers suffixes: _rc1 < _rc2 < _rc10, and a numbered suffix above a bare one', () => {
    assert.equal(compareApkVersions('1.0_rc1', '1.0_rc2'), -1);
    assert.equal(compareApkVersions('1.0_rc2', '1.0_rc10'), -1);
    assert.equal(compareApkVersions('1.0_rc', '1.0_rc1'), -1);
    assert.equal(compareApkVersions('1.0_p1', '1.0_p10'), -1);
    assert.equal(compareApkVersions('1.0_rc10', '1.0'), -1);
  });

  it('orders -r revisions numerically and puts a revision above the bare version', () => {
    assert.equal(compareApkVersions('1.2.4-r9', '1.2.4-r10'), -1);
    assert.equal(compareApkVersions('1.2.4', '1.2.4-r0'), -1);
    assert.equal(compareApkVersions('1.2.4-r100', '1.2.5-r0'), -1);
    assert.equal(compareApkVersions('1.2.5_git20230717-r5', '1.2.5-r1'), 1, 'a post-release suffix is above the release');
    assert.equal(compareApkVersions('1.2.4_git20230717-r5', '1.2.5-r1'), -1);
    assert.equal(compareApkVersions('1.36.1-r29', '1.36.1-r30'), -1);
  });

  it('compares a letter after the digits and leading zeros as strings', () => {
    assert.equal(compareApkVersions('1.1.1t-r0', '1.1.1u-r0'), -1);
    assert.equal(compareApkVersions('1.1.1t-r3', '1.1.1u-r0'), -1);
    assert.equal(compareApkVersions('1.1.1', '1.1.1a'), -1);
    assert.equal(compareApkVersions('1.01', '1.1'), -1);
    assert.equal(compareApkVersions('1.001', '1.01'), -1);
  });

  it('compares commit hashes as strings and orders them before the revision', () => {
    assert.equal(compareApkVersions('1.0~abc', '1.0~abd'), -1);
    assert.equal(compareApkVersions('1.0~abc-r1', '1.0~abc-r2'), -1);
    assert.equal(compareApkVersions('1.0_git20240101~abcdef-r0', '1.0_git20240101~abcdef-r1'), -1);
    assert.equal(compareApkVersions('1.0~abc', '1.0'), 1);
  });

  it('handles numbers beyond 2^53 without losing precision', () => {
    assert.equal(compareApkVersions('1.0_p12345678901234567890', '1.0_p12345678901234567891'), -1);
    assert.equal(compareApkVersions('98765432109876543210', '98765432109876543209'), 1);
  });

  it('is exposed as the Alpine comparator', () => {
    assert.equal(apkComparator.ecosystem, 'Alpine');
    assert.equal(apkComparator.compare('1.2.5-r10', '1.2.5-r9'), 1);
  });
});

describe('apk version validity', () => {
  const valid = [
    '1',
    '1.0',
    '1.2.3',
    '1.1.1t',
    '1.2.3-r0',
    '1.2.3-r10',
    '0.1.0_alpha',
    '0.1.0_alpha2',
    '0.1.0_alpha_pre2',
    '1.2.4_git20230717-r5',
    '4.2.52_p2-r1',
    '1.0.0_pre20191002222144-r0',
    '1.0~abcdef',
    '1.0_git20240101~0123abcd-r3',
    '006',
  ];
  for (const version of valid) {
    it(`accepts ${version}`, () => assert.equal(isValidApkVersion(version), true));
  }

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['a1', 'no leading digit'],
    ['1.0bc', 'two letters'],
    ['1.0a1', 'a digit after the letter'],
    ['1.0A', 'upper-case letter'],
    ['1.0_foo', 'unknown suffix'],
    ['23_foo', 'unknown suffix'],
    ['1.0-1', 'revision without r'],
    ['1.0-r', 'revision without a number'],
    ['1.0-r1-r2', 'two revisions'],
    ['1.0-r1.1', 'a dot in the revision'],
    ['1.0.', 'a trailing dot'],
    ['1..0', 'an empty component'],
    ['1.0~', 'an empty hash'],
    ['1.0~xyz', 'a hash that is not hexadecimal'],
    ['1.0~ab~cd', 'two hashes'],
    ['1.0-r1_p1', 'a suffix after the revision'],
    ['1.0 ', 'trailing space'],
  ];
  for (const [version, why] of invalid) {
    it(`refuses ${JSON.stringify(version)} (${why})`, () => assert.equal(isValidApkVersion(version), false));
  }
});
