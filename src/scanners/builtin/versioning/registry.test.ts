import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apkComparator } from './apk.js';
import { apk2Comparator } from './apk2.js';
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
  'Red Hat': ['0:1.9.5p2-10.el9_6.1', '1.9.5p2-10.el9_6.1', '1:3.0.7-16.el9_2', '1:3.0.7-27.el9', '3.0.7-27.el9', '1.0~rc1-1', '1.0-1', '1.0^git1-1', '1.0a-1', '1.0.1-1', '2:0.1-1'],
  'Rocky Linux': ['0:1.20.10-1.module+el9.3.0+111+aaaaaaaa', '1:1.20.4-2.el9', '3.0.1-43.el9_2', '5.14.0-427.13.1.el9_4', '5.14.0-427.2.1.el9_4'],
  AlmaLinux: ['1:3.0.1-43.el9_0', '1:3.0.7-1.el9', '1.24.0-1.el9', '1:20.15.1-1.module_el9.4.0+123+abcdef12', '2.9-1.el9'],
  Wolfi: ['1.0_rc1', '1.0', '1.0-r0', '1.0-r10', '1.0_p1', '1.9.5p1-r0', '1.9.5p2-r0', '6.0.2p1-r3', '6.0.2p1-r5', '20230717-r2'],
  Chainguard: ['3.0.7-r0', '3.0.7-r1', '3.0.8_rc1-r0', '3.0.8-r0', '3.1.0-r0'],
  MinimOS: ['1.2.3-r0', '1.2.3-r1', '1.2.4_alpha1-r0', '1.2.4-r0', '1.10.0-r0'],
  Alpaquita: ['2.38-r0', '2.38-r1', '2.39_pre1-r0', '2.39-r0', '2.39_p1-r0'],
  'Azure Linux': ['3.0.13-1.azl3', '3.0.13-2.azl3', '1:3.0.13-1.azl3', '3.1.0-1.azl3', '3.0.13~rc1-1.azl3'],
  'Photon OS': ['3.0.13-1.ph5', '3.0.13-2.ph5', '3.0.14-1.ph5', '1:1.0-1.ph5', '3.0.13-10.ph5'],
  openEuler: ['1.1.1m-1.oe2203', '1.1.1m-2.oe2203', '1.1.1n-1.oe2203', '3.0.9-1.oe2203sp3', '1:1.0-1.oe2203'],
  SUSE: ['3.0.8-150500.5.8.1', '3.0.8-150500.5.10.1', '3.1.4-150600.5.3.1', '1:2.0-1.1', '1.1.1l-150500.17.25.1'],
  openSUSE: ['3.0.8-150500.5.8.1', '3.2.3-1.1', '3.2.3-2.1', '3.3.0-1.1', '1:1.0-1.1'],
  Mageia: ['3.0.15-1.mga9', '3.0.15-2.mga9', '3.0.16-1.mga9', '1:1.0-1.mga9', '3.0.15-1.1.mga9'],
  npm: ['0.0.0-0', '0.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0+build', '1.2.3-r100', '1.2.3-R2', '4.17.21', 'v4.17.20'],
  PyPI: ['1.0.dev0', '1.0a1', '1.0ALPHA2', '1.0b1', '1.0rc1', '1.0c2', '1.0', '1.0.0', '1.0+local', '1.0-1', '1.0.post2', '1!0.1', '2.0', '1.0.post1.dev1'],
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
    assert.equal(comparatorFor('Alpine:v3.22'), apk2Comparator, 'apk-tools 2 before Alpine 3.23');
    assert.equal(comparatorFor('Alpine:v2.7'), apk2Comparator);
    assert.equal(comparatorFor('Alpine:v3.23'), apkComparator, 'apk-tools 3 from Alpine 3.23 on');
    assert.equal(comparatorFor('Alpine:v4.0'), apkComparator);
    assert.equal(comparatorFor('Alpine'), apkComparator);
    assert.equal(comparatorFor('Alpine:edge'), apkComparator);
    assert.equal(comparatorFor('Alpine:v3.20')?.compare('6.0.2p1-r3', '6.0.2p1-r5'), -1);
    assert.equal(comparatorFor('Wolfi'), apk2Comparator);
    for (const rpmBased of ['Azure Linux:3', 'Photon OS:5.0', 'openEuler:22.03-LTS-SP1', 'SUSE:Linux Enterprise Server 15 SP5', 'openSUSE:Leap 15.5', 'Mageia:9']) {
      assert.equal(comparatorFor(rpmBased), comparatorFor('Red Hat'), rpmBased);
    }
    assert.equal(comparatorFor('Ubuntu:22.04:LTS'), comparatorFor('Debian'), 'Ubuntu uses dpkg ordering');
    assert.equal(comparatorFor('Ubuntu:Pro:18.04:LTS'), comparatorFor('Debian'));
    assert.equal(comparatorFor('Red Hat:rhel_aus:8.4::appstream')?.ecosystem, 'Red Hat');
    assert.equal(comparatorFor('Rocky Linux:9'), comparatorFor('Red Hat'), 'RPM ordering');
    assert.equal(comparatorFor('AlmaLinux:9'), comparatorFor('Red Hat'));
    assert.equal(comparatorFor('npm')?.ecosystem, 'npm');
    assert.equal(comparatorFor('PyPI')?.ecosystem, 'PyPI');
  });

  it('answers null for an ecosystem without a registered ordering', () => {
    assert.equal(comparatorFor('Maven'), null);
    assert.equal(comparatorFor('Amazon Linux:2023'), null, 'not an OSV ecosystem');
    assert.equal(comparatorFor('toString'), null, 'no prototype lookups');
    assert.equal(comparatorFor(''), null);
  });

  it('ecosystemBase keeps only the name before the first colon', () => {
    assert.equal(ecosystemBase('Ubuntu:22.04:LTS'), 'Ubuntu');
    assert.equal(ecosystemBase('Maven:https://maven.google.com'), 'Maven');
    assert.equal(ecosystemBase('npm'), 'npm');
  });
});
