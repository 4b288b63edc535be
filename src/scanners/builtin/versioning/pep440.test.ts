import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { comparePep440, isValidPep440, normalisePep440, pep440Comparator } from './pep440.js';

// packaging's tests/test_version.py: VERSIONS, "in the correct sorting order".
const PACKAGING_VERSIONS = [
  '1.0.dev0', '1.0.dev456', '1.0.dev456+local', '1.0a0', '1.0a0.post0.dev0', '1.0a0.post0', '1.0a1.dev1', '1.0a1.dev1+local',
  '1.0a1', '1.0a1+local', '1.0b0', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456', '1.0b2.post345', '1.0b2-346', '1.0rc0',
  '1.0rc1.dev1', '1.0c1', '1.0rc2', '1.0', '1.0.post0.dev0', '1.0.post0', '1.0.post456.dev34', '1.0.post456', '1.0.post456+local',
  '1.0.1.dev1', '1.0.1a1', '1.0.1', '1.0.1+local', '1.0.1.post1', '1.1.dev1', '1.2+a', '1.2+abc', '1.2+abcdef', '1.2+def', '1.2+0',
  '1.2+1', '1.2+1.abc', '1.2+1.1', '1.2+1.1.0', '1.2+2', '1.2+123', '1.2+123456', '1.2.r32+123456', '1.2.rev33+123456',
  '1!1.0.dev0', '1!1.0.dev456', '1!1.0.dev456+local', '1!1.0a0', '1!1.0a0.post0.dev0', '1!1.0a0.post0', '1!1.0a1.dev1',
  '1!1.0a1.dev1+local', '1!1.0a1', '1!1.0a1+local', '1!1.0b0', '1!1.0b1.dev456', '1!1.0b2', '1!1.0b2.post345.dev456',
  '1!1.0b2.post345', '1!1.0b2-346', '1!1.0rc0', '1!1.0rc1.dev1', '1!1.0c1', '1!1.0rc2', '1!1.0', '1!1.0.post0.dev0', '1!1.0.post0',
  '1!1.0.post456.dev34', '1!1.0.post456', '1!1.0.post456+local', '1!1.0.1.dev1', '1!1.0.1a1', '1!1.0.1', '1!1.0.1+local',
  '1!1.0.1.post1', '1!1.1.dev1', '1!1.2+a', '1!1.2+abc', '1!1.2+abcdef', '1!1.2+def', '1!1.2+0', '1!1.2+1', '1!1.2+1.abc',
  '1!1.2+1.1', '1!1.2+1.1.0', '1!1.2+2', '1!1.2+123', '1!1.2+123456', '1!1.2.r32+123456', '1!1.2.rev33+123456',
];

// packaging's test_normalized_versions: input → normalised form.
const NORMALISED: [string, string][] = [
  ['1.0dev', '1.0.dev0'], ['1.0.dev', '1.0.dev0'], ['1.0dev1', '1.0.dev1'], ['1.0-dev', '1.0.dev0'], ['1.0-dev1', '1.0.dev1'],
  ['1.0DEV', '1.0.dev0'], ['1.0.DEV', '1.0.dev0'], ['1.0DEV1', '1.0.dev1'], ['1.0-DEV1', '1.0.dev1'],
  ['1.0a', '1.0a0'], ['1.0.a', '1.0a0'], ['1.0.a1', '1.0a1'], ['1.0-a', '1.0a0'], ['1.0-a1', '1.0a1'], ['1.0alpha', '1.0a0'],
  ['1.0.alpha1', '1.0a1'], ['1.0-alpha1', '1.0a1'], ['1.0A', '1.0a0'], ['1.0.A1', '1.0a1'], ['1.0ALPHA', '1.0a0'], ['1.0-ALPHA1', '1.0a1'],
  ['1.0b', '1.0b0'], ['1.0.b1', '1.0b1'], ['1.0beta', '1.0b0'], ['1.0-beta1', '1.0b1'], ['1.0B', '1.0b0'], ['1.0.BETA1', '1.0b1'],
  ['1.0c', '1.0rc0'], ['1.0.c1', '1.0rc1'], ['1.0-c', '1.0rc0'], ['1.0rc', '1.0rc0'], ['1.0.rc1', '1.0rc1'], ['1.0-rc1', '1.0rc1'],
  ['1.0C', '1.0rc0'], ['1.0RC', '1.0rc0'], ['1.0.RC1', '1.0rc1'], ['1.0-RC1', '1.0rc1'],
  ['1.0post', '1.0.post0'], ['1.0.post', '1.0.post0'], ['1.0post1', '1.0.post1'], ['1.0-post', '1.0.post0'], ['1.0POST1', '1.0.post1'],
  ['1.0r', '1.0.post0'], ['1.0rev', '1.0.post0'], ['1.0.r1', '1.0.post1'], ['1.0.rev1', '1.0.post1'], ['1.0-POST1', '1.0.post1'],
  ['1.0-5', '1.0.post5'], ['1.0-r5', '1.0.post5'], ['1.0-rev5', '1.0.post5'],
  ['1.0+AbC', '1.0+abc'],
  ['1.01', '1.1'], ['1.0a05', '1.0a5'], ['1.0b07', '1.0b7'], ['1.0c056', '1.0rc56'], ['1.0rc09', '1.0rc9'], ['1.0.post000', '1.0.post0'],
  ['1.1.dev09000', '1.1.dev9000'], ['00!1.2', '1.2'], ['0100!0.0', '100!0.0'],
  ['v1.0', '1.0'], ['   v1.0\t\n', '1.0'], ['\u202f1.0\t\u2029\n ', '1.0'],
];

// packaging's test_invalid_versions.
const INVALID = ['french toast', '1.0+a+', '1.0++', '1.0+_foobar', '1.0+foo&asd', '1.0+1+1', '1. 0', '1 .0', '1. 0a1', '1 .0a1', '1.0 a1', '1.0a 1', '٠١٢.٣٤٥.٦٧٨٩', '.', '..', '1..0', '1.0.', '.1.0', '1..2.3', '1.0+\u0130'];

describe("PEP 440 ordering: packaging's sorted VERSIONS", () => {
  it(`orders all ${PACKAGING_VERSIONS.length} versions, every pair both ways`, () => {
    for (let i = 0; i < PACKAGING_VERSIONS.length; i++) {
      for (let j = 0; j < PACKAGING_VERSIONS.length; j++) {
        const a = PACKAGING_VERSIONS[i] as string;
        const b = PACKAGING_VERSIONS[j] as string;
        // 1.0c1 and 1.0rc1 are the same version, neighbours in the list.
        const expected = i === j || (a.replace(/rc1\b/, 'c1') === b.replace(/rc1\b/, 'c1')) ? 0 : Math.sign(i - j);
        assert.equal(comparePep440(a, b), expected, `${a} vs ${b}`);
      }
    }
  });

  it('sorts a shuffled copy back into order', () => {
    const shuffled = [...PACKAGING_VERSIONS].sort((a, b) => (a.length * 31 + a.charCodeAt(a.length - 1)) % 17 - (b.length * 31 + b.charCodeAt(b.length - 1)) % 17);
    const sorted = shuffled.sort(comparePep440);
    for (let i = 0; i + 1 < sorted.length; i++) assert.ok(comparePep440(sorted[i] as string, sorted[i + 1] as string) <= 0);
  });
});

describe('PEP 440 normalisation', () => {
  for (const [input, normalised] of NORMALISED) {
    it(`${JSON.stringify(input)} → ${normalised}`, () => {
      assert.equal(normalisePep440(input), normalised);
      assert.equal(comparePep440(input, normalised), 0, 'a spelling equals its normal form');
    });
  }
});

describe('PEP 440 validity', () => {
  for (const version of INVALID) it(`refuses ${JSON.stringify(version)}`, () => assert.equal(isValidPep440(version), false));
  it('refuses the empty string and the Kelvin sign, which folds to an ASCII k', () => {
    assert.equal(isValidPep440(''), false);
    assert.equal(isValidPep440('1.0+\u212a'), false);
  });
  for (const version of ['1.0', '2024.1', '1!2.0', '1.0.0.0.0.1', '1.0rc1+ubuntu-1', '0.0.1.dev0', '1.0a1.post2.dev3+x.1']) {
    it(`accepts ${version}`, () => assert.equal(isValidPep440(version), true));
  }
});

describe('PEP 440 ordering: the tricky cases', () => {
  it('1.0a1 < 1.0 < 1.0.post1, and 1.0.post1 > 1.0a1 however spelt', () => {
    assert.equal(comparePep440('1.0.post1', '1.0a1'), 1);
    assert.equal(comparePep440('1.0a1', '1.0'), -1);
    assert.equal(comparePep440('1.0', '1.0.post1'), -1);
    assert.equal(comparePep440('1.0-1', '1.0ALPHA1'), 1);
    assert.equal(comparePep440('1.0.post1', '1.1a1'), -1);
  });

  it('ignores trailing zeros of the release', () => {
    assert.equal(comparePep440('1.0', '1.0.0'), 0);
    assert.equal(comparePep440('1', '1.0.0.0'), 0);
    assert.equal(comparePep440('1.0.0.1', '1.0'), 1);
    assert.equal(comparePep440('2.0', '10.0'), -1);
  });

  it('puts the dev release of a version below its pre-releases, and a dev of a post below that post', () => {
    assert.equal(comparePep440('1.0.dev1', '1.0a1'), -1);
    assert.equal(comparePep440('1.0a1.dev1', '1.0a1'), -1);
    assert.equal(comparePep440('1.0.post1.dev1', '1.0.post1'), -1);
    assert.equal(comparePep440('1.0.post1.dev1', '1.0'), 1);
  });

  it('an epoch beats everything else', () => {
    assert.equal(comparePep440('1!0.1', '2024.1'), 1);
    assert.equal(comparePep440('0!2.0', '2.0'), 0);
  });

  it('local versions sort after the public version: numeric segments above letters, longer above shorter', () => {
    assert.equal(comparePep440('1.0+local', '1.0'), 1);
    assert.equal(comparePep440('1.0+local', '1.0.post1'), -1);
    assert.equal(comparePep440('1.0+1', '1.0+abc'), 1);
    assert.equal(comparePep440('1.0+1.1', '1.0+1'), 1);
    assert.equal(comparePep440('1.0+ubuntu-2', '1.0+ubuntu.2'), 0, 'local separators are equivalent');
  });

  it('compares numbers beyond 2^53 exactly', () => {
    assert.equal(comparePep440('1.12345678901234567890', '1.12345678901234567891'), -1);
    assert.equal(comparePep440('1.0.post00012345678901234567890', '1.0.post12345678901234567890'), 0);
  });

  it('orders strings that are not versions before all versions, as strings among themselves', () => {
    assert.equal(comparePep440('2004d', '0.0.1'), -1);
    assert.equal(comparePep440('dev', 'french toast'), -1);
    assert.equal(pep440Comparator.compare('1.0', 'junk'), 1);
  });
});

/** The reference: `packaging.version` (or the copy pip vendors), run once over all pairs. */
function packagingAnswers(versions: readonly string[]): number[][] | null {
  const script = `
import json, sys
try:
    from packaging.version import Version
except ImportError:
    from pip._vendor.packaging.version import Version
vs = [Version(v) for v in json.load(sys.stdin)]
print(json.dumps([[(a > b) - (a < b) for b in vs] for a in vs]))
`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(versions), encoding: 'utf8' });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout) as number[][];
}

describe('PEP 440 ordering agrees with the packaging library', () => {
  const versions = [...PACKAGING_VERSIONS.slice(0, 46), ...NORMALISED.map(([input]) => input), '1.0', '1.0.0', '1!0.1', '1.0+1.1', '1.0.post1', '1.0a1', '0.9'];
  const answers = packagingAnswers(versions);
  if (!answers) console.warn('SKIPPED: python3 with packaging (or pip) not available; PEP 440 cross-check did not run');
  it('on every pair of the sorted list and the normalisation inputs', { skip: !answers && 'python3 packaging not available' }, () => {
    versions.forEach((a, i) => versions.forEach((b, j) => assert.equal(comparePep440(a, b), answers?.[i]?.[j], `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)));
  });
});
