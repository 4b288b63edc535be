import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparatorFor, ecosystemBase, registeredEcosystems } from './registry.js';
import type { VersionComparator } from './version-comparator.js';

// Well-formed versions of each ecosystem, deliberately including the tricky shapes
// (epochs, tildes, suffixes, revisions); the contract below runs over all pairs and triples.
const SAMPLES: Readonly<Record<string, string[]>> = {
  Debian: [
    '0',
    '1.0~~',
    '1.0~~a',
    '1.0~',
    '1.0',
    '1.0a',
    '1.0+dfsg-1',
    '1.0-1~deb12u1',
    '1.0-1',
    '1.0-1+deb12u1',
    '1.0-1+b1',
    '1.01',
    '1.2.13.dfsg-1',
    '1:1.2.13.dfsg-1',
    '2:0.1',
    '3.0.11~rc1-1',
    '3.0.11-1~deb12u2',
    '2.35-0ubuntu3.14',
    '0.9j-20080306-4',
  ],
  Ubuntu: ['2.35-0ubuntu3.9', '2.35-0ubuntu3.14', '8.32-4ubuntu2', '8.32-4.1ubuntu1', '1:9.18.28-0ubuntu0.22.04.1'],
  Alpine: [
    '0.1.0_alpha_pre2',
    '0.1.0_alpha',
    '1.0_beta2',
    '1.0_pre1',
    '1.0_rc1',
    '1.0',
    '1.0-r0',
    '1.0-r10',
    '1.0_cvs',
    '1.0_p1',
    '1.0a',
    '1.01',
    '1.1',
    '1.2.4_git20230717-r5',
    '1.2.5-r10',
    '1.0~abc-r1',
    '006',
    '20050718-r2',
  ],
};

function sign(value: number): number {
  return value === 0 ? 0 : value < 0 ? -1 : 1;
}

function checkContract(comparator: VersionComparator, versions: string[]): void {
  for (const a of versions) {
    assert.equal(comparator.compare(a, a), 0, `reflexive: ${a}`);
    assert.equal(comparator.isValid(a), true, `sample is well-formed: ${a}`);
    for (const b of versions) {
      assert.equal(sign(comparator.compare(a, b)), -sign(comparator.compare(b, a)) || 0, `antisymmetric: ${a} ${b}`);
      for (const c of versions) {
        if (comparator.compare(a, b) <= 0 && comparator.compare(b, c) <= 0) {
          assert.ok(comparator.compare(a, c) <= 0, `transitive: ${a} <= ${b} <= ${c}`);
        }
      }
    }
  }
}

describe('every registered version comparator', () => {
  for (const ecosystem of registeredEcosystems()) {
    it(`${ecosystem}: reflexive, antisymmetric and transitive on its sample`, () => {
      const comparator = comparatorFor(ecosystem);
      assert.ok(comparator, `${ecosystem} resolves`);
      const sample = SAMPLES[ecosystem];
      assert.ok(sample && sample.length >= 5, `${ecosystem} has a contract sample`);
      checkContract(comparator, sample);
    });

    it(`${ecosystem}: is total and never throws on malformed input`, () => {
      const comparator = comparatorFor(ecosystem);
      assert.ok(comparator);
      for (const junk of ['', ' ', ':', '-', '~', '_', 'abc', '1..2', '\u0000', '9'.repeat(400), `${'9'.repeat(400)}:1`]) {
        assert.ok(Number.isFinite(comparator.compare(junk, '1.0')), JSON.stringify(junk));
        assert.equal(comparator.compare(junk, junk), 0);
        assert.equal(typeof comparator.isValid(junk), 'boolean');
      }
    });
  }
});

describe('comparatorFor', () => {
  it('strips the release from the OSV ecosystem string', () => {
    assert.equal(comparatorFor('Debian:12')?.ecosystem, 'Debian');
    assert.equal(comparatorFor('Debian')?.ecosystem, 'Debian');
    assert.equal(comparatorFor('Alpine:v3.19')?.ecosystem, 'Alpine');
    assert.equal(comparatorFor('Ubuntu:22.04:LTS'), comparatorFor('Debian'), 'Ubuntu uses dpkg ordering');
    assert.equal(comparatorFor('Ubuntu:Pro:18.04:LTS'), comparatorFor('Debian'));
  });

  it('answers null for an ecosystem without a registered ordering', () => {
    assert.equal(comparatorFor('npm'), null);
    assert.equal(comparatorFor('PyPI'), null);
    assert.equal(comparatorFor('Red Hat:rhel_aus:8.4::appstream'), null);
    assert.equal(comparatorFor('toString'), null, 'no prototype lookups');
    assert.equal(comparatorFor(''), null);
  });

  it('ecosystemBase keeps only the name before the first colon', () => {
    assert.equal(ecosystemBase('Ubuntu:22.04:LTS'), 'Ubuntu');
    assert.equal(ecosystemBase('Maven:https://maven.google.com'), 'Maven');
    assert.equal(ecosystemBase('npm'), 'npm');
  });
});
