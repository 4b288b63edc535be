import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSemVer, isValidSemVer, parseSemVer, semverComparator } from './semver.js';

// node-semver's test/fixtures/comparisons.js: the first of each pair is the greater.
// (Entries that fixture marks `loose` carry only a leading `v`, which strict parsing accepts too.)
const NODE_SEMVER_COMPARISONS: [string, string][] = [
  ['0.0.0', '0.0.0-foo'],
  ['0.0.1', '0.0.0'],
  ['1.0.0', '0.9.9'],
  ['0.10.0', '0.9.0'],
  ['0.99.0', '0.10.0'],
  ['2.0.0', '1.2.3'],
  ['v0.0.0', '0.0.0-foo'],
  ['v0.0.1', '0.0.0'],
  ['v1.0.0', '0.9.9'],
  ['v0.10.0', '0.9.0'],
  ['v0.99.0', '0.10.0'],
  ['v2.0.0', '1.2.3'],
  ['0.0.0', 'v0.0.0-foo'],
  ['0.0.1', 'v0.0.0'],
  ['1.0.0', 'v0.9.9'],
  ['0.10.0', 'v0.9.0'],
  ['0.99.0', 'v0.10.0'],
  ['2.0.0', 'v1.2.3'],
  ['1.2.3', '1.2.3-asdf'],
  ['1.2.3', '1.2.3-4'],
  ['1.2.3', '1.2.3-4-foo'],
  ['1.2.3-5-foo', '1.2.3-5'],
  ['1.2.3-5', '1.2.3-4'],
  ['1.2.3-5-foo', '1.2.3-5-Foo'],
  ['3.0.0', '2.7.2+asdf'],
  ['1.2.3-a.10', '1.2.3-a.5'],
  ['1.2.3-a.b', '1.2.3-a.5'],
  ['1.2.3-a.b', '1.2.3-a'],
  ['1.2.3-a.b.c.10.d.5', '1.2.3-a.b.c.5.d.100'],
  ['1.2.3-r2', '1.2.3-r100'],
  ['1.2.3-r100', '1.2.3-R2'],
];

// node-semver's test/fixtures/equality.js, the entries it checks without `loose`.
const NODE_SEMVER_EQUALITIES: [string, string][] = [
  ['1.2.3-beta+build', '1.2.3-beta+otherbuild'],
  ['1.2.3+build', '1.2.3+otherbuild'],
  ['  v1.2.3+build', '1.2.3+otherbuild'],
  ['1.2.3', 'v1.2.3'],
  ['1.2.3-0', ' v1.2.3-0'],
];

describe('SemVer precedence: node-semver fixtures', () => {
  for (const [greater, lesser] of NODE_SEMVER_COMPARISONS) {
    it(`${greater} > ${lesser}`, () => {
      assert.equal(compareSemVer(greater, lesser), 1);
      assert.equal(compareSemVer(lesser, greater), -1);
    });
  }
  for (const [a, b] of NODE_SEMVER_EQUALITIES) {
    it(`${JSON.stringify(a)} = ${JSON.stringify(b)}`, () => {
      assert.equal(compareSemVer(a, b), 0);
      assert.equal(compareSemVer(b, a), 0);
    });
  }
});

describe('SemVer precedence: the specification', () => {
  it('§11.4 example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0', () => {
    const sorted = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i + 1 < sorted.length; i++) assert.equal(compareSemVer(sorted[i] as string, sorted[i + 1] as string), -1, `${sorted[i]} < ${sorted[i + 1]}`);
    assert.deepEqual([...sorted].reverse().sort(compareSemVer), sorted);
  });

  it('§11.2: major, minor and patch compare numerically', () => {
    assert.equal(compareSemVer('1.0.0', '2.0.0'), -1);
    assert.equal(compareSemVer('2.0.0', '2.1.0'), -1);
    assert.equal(compareSemVer('2.1.0', '2.1.1'), -1);
    assert.equal(compareSemVer('1.9.0', '1.10.0'), -1);
    assert.equal(compareSemVer('4.17.20', '4.17.21'), -1);
    assert.equal(compareSemVer('99999999999999999999999.0.0', '99999999999999999999998.0.0'), 1, 'beyond 2^53');
  });

  it('§11.3: a pre-release is below its normal version, above the one before', () => {
    assert.equal(compareSemVer('1.0.0-alpha', '1.0.0'), -1);
    assert.equal(compareSemVer('1.0.0-0', '0.9.9'), 1);
    assert.equal(compareSemVer('1.0.0-rc.1', '1.0.0+build'), -1);
  });

  it('§11.4: numeric identifiers below alphanumeric ones, which compare in ASCII order', () => {
    assert.equal(compareSemVer('1.0.0-1', '1.0.0-a'), -1);
    assert.equal(compareSemVer('1.0.0-999', '1.0.0-0a'), -1, '0a is alphanumeric');
    assert.equal(compareSemVer('1.0.0-Z', '1.0.0-a'), -1);
    assert.equal(compareSemVer('1.0.0-a-b', '1.0.0-a.b'), 1, 'a hyphen is part of an identifier: "a-b" > "a"');
    assert.equal(compareSemVer('1.0.0-beta.2', '1.0.0-beta.11'), -1);
    assert.equal(compareSemVer('1.0.0-beta2', '1.0.0-beta11'), 1, 'alphanumeric: character by character');
  });

  it('§10: build metadata does not take part in precedence', () => {
    assert.equal(compareSemVer('1.0.0+20130313144700', '1.0.0+exp.sha.5114f85'), 0);
    assert.equal(compareSemVer('1.0.0-beta+exp.sha.5114f85', '1.0.0-beta'), 0);
  });
});

describe('SemVer validity', () => {
  // The valid and invalid examples of semver.org's FAQ regular expression test set.
  const valid = [
    '0.0.4',
    '1.2.3',
    '10.20.30',
    '1.1.2-prerelease+meta',
    '1.1.2+meta',
    '1.1.2+meta-valid',
    '1.0.0-alpha',
    '1.0.0-alpha.beta.1',
    '1.0.0-alpha0.valid',
    '1.0.0-alpha.0valid',
    '1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay',
    '1.0.0-rc.1+build.1',
    '10.2.3-DEV-SNAPSHOT',
    '1.2.3-SNAPSHOT-123',
    '2.0.0+build.1848',
    '1.2.3----RC-SNAPSHOT.12.9.1--.12+788',
    '1.0.0+0.build.1-rc.10000aaa-kk-0.1',
    '99999999999999999999999.999999999999999999.99999999999999999',
    '1.0.0-0A.is.legal',
    'v1.2.3',
  ];
  for (const version of valid) it(`accepts ${version}`, () => assert.equal(isValidSemVer(version), true));

  const invalid = [
    '1',
    '1.2',
    '1.2.3-0123',
    '1.2.3-0123.0123',
    '1.1.2+.123',
    '+invalid',
    '-invalid',
    'alpha',
    '1.0.0-alpha_beta',
    '1.0.0-alpha..1',
    '01.1.1',
    '1.01.1',
    '1.1.01',
    '1.2.3.DEV',
    '1.2-SNAPSHOT',
    '-1.0.3-gamma+b7718',
    '9.8.7+meta+meta',
    '9.8.7-whatever+meta+meta',
    '=1.2.3',
    '1.2.3 4',
    `${'1'.repeat(300)}.0.0`,
  ];
  for (const version of invalid) it(`refuses ${JSON.stringify(version.slice(0, 40))}`, () => assert.equal(isValidSemVer(version), false));

  it('splits pre-release and build identifiers', () => {
    assert.deepEqual(parseSemVer('1.2.3-alpha-.-beta+build.1a'), { major: '1', minor: '2', patch: '3', prerelease: ['alpha-', '-beta'], build: ['build', '1a'] });
  });

  it('orders strings that are not versions before all versions, and among themselves as strings', () => {
    assert.equal(compareSemVer('junk', '0.0.0-0'), -1);
    assert.equal(compareSemVer('1.2', '1.2.3'), -1);
    assert.equal(compareSemVer('a', 'b'), -1);
    assert.equal(semverComparator.compare('b', 'a'), 1);
  });
});
