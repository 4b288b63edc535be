import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareDpkgVersions, dpkgComparator, isValidDpkgVersion } from './dpkg.js';

// dpkg's own comparison vectors: the __DATA__ section of scripts/t/Dpkg_Version.t
// (`a b expected`), which dpkg checks against `dpkg --compare-versions`.
const DPKG_VERSION_T = `
1.0-1 2.0-2 -1
2.2~rc-4 2.2-1 -1
2.2-1 2.2~rc-4 1
1.0000-1 1.0-1 0
1 0:1 0
0 0:0-0 0
2:2.5 1:7.5 1
1:0foo 0foo 1
0:0foo 0foo 0
0foo 0foo 0
0foo- 0foo 0
0foo- 0foo-0 0
0foo 0fo 1
0foo- 0foo+ -1
0foo~1 0foo -1
0foo~foo+Bar 0foo~foo+bar -1
0foo~~ 0foo~ -1
1~ 1 -1
12345+that-really-is-some-ver-0 12345+that-really-is-some-ver-10 -1
0foo-0 0foo-01 -1
0foo.bar 0foobar 1
0foo.bar 0foo1bar 1
0foo.bar 0foo0bar 1
0foo1bar-1 0foobar-1 -1
0foo2.0 0foo2 1
0foo2.0.0 0foo2.10.0 -1
0foo2.0 0foo2.0.0 -1
0foo2.0 0foo2.10 -1
0foo2.1 0foo2.10 -1
1.09 1.9 0
1.0.8+nmu1 1.0.8 1
3.11 3.10+nmu1 1
0.9j-20080306-4 0.9i-20070324-2 1
1.2.0~b7-1 1.2.0~b6-1 1
1.011-1 1.06-2 1
0.0.9+dfsg1-1 0.0.8+dfsg1-3 1
4.6.99+svn6582-1 4.6.99+svn6496-1 1
53 52 1
0.9.9~pre122-1 0.9.9~pre111-1 1
2:2.3.2-2+lenny2 2:2.3.2-2 1
1:3.8.1-1 3.8.GA-1 1
1.0.1+gpl-1 1.0.1-2 1
1a 1000a -1
-0.6.5 0.9.1 -1
`;

function vectors(text: string): [string, string, number][] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [a, b, expected] = line.trim().split(/\s+/);
      return [a ?? '', b ?? '', Number(expected)];
    });
}

describe('dpkg version comparison', () => {
  describe("dpkg's Dpkg_Version.t vectors", () => {
    for (const [a, b, expected] of vectors(DPKG_VERSION_T)) {
      it(`${a} vs ${b} → ${expected}`, () => {
        assert.equal(compareDpkgVersions(a, b), expected);
        assert.equal(compareDpkgVersions(b, a), expected === 0 ? 0 : -expected);
      });
    }
  });

  it("lib/dpkg/t/t-version.c: equal versions, epoch, upstream and revision differences", () => {
    assert.equal(compareDpkgVersions('0-0', '0-0'), 0);
    assert.equal(compareDpkgVersions('0-00', '00-0'), 0);
    assert.equal(compareDpkgVersions('1:2-3', '1:2-3'), 0);
    assert.ok(compareDpkgVersions('0-0', '1:0-0') < 0);
    assert.ok(compareDpkgVersions('1:0-0', '0-0') > 0);
    assert.ok(compareDpkgVersions('a-0', 'b-0') < 0);
    assert.ok(compareDpkgVersions('0-a', '0-b') < 0);
    assert.ok(compareDpkgVersions('1-1', '2-1') < 0);
    assert.ok(compareDpkgVersions('1-1', '1-2') < 0);
  });

  it('Debian Policy §5.6.12: ~~ < ~~a < ~ < the empty part < a', () => {
    const sorted = ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a'];
    for (let i = 0; i + 1 < sorted.length; i++) {
      assert.ok(compareDpkgVersions(sorted[i] as string, sorted[i + 1] as string) < 0, `${sorted[i]} < ${sorted[i + 1]}`);
    }
    assert.deepEqual([...sorted].reverse().sort(compareDpkgVersions), sorted);
  });

  it('Debian Policy §5.6.12: letters sort before non-letters, digits compare numerically', () => {
    assert.ok(compareDpkgVersions('1.0a', '1.0+') < 0);
    assert.ok(compareDpkgVersions('1.0z', '1.0.') < 0);
    assert.ok(compareDpkgVersions('1.0+', '1.0.') < 0, '+ (0x2b) before . (0x2e)');
    assert.ok(compareDpkgVersions('1.0A', '1.0a') < 0, 'upper case before lower case');
    assert.ok(compareDpkgVersions('1.9', '1.10') < 0);
    assert.ok(compareDpkgVersions('1.10', '1.010') === 0);
  });

  it('epochs dominate everything after them', () => {
    assert.ok(compareDpkgVersions('1:0.1', '99.9') > 0);
    assert.ok(compareDpkgVersions('2:1.0', '10:0.1') < 0, 'epochs compare as integers');
    assert.equal(compareDpkgVersions('0:1.2.3-1', '1.2.3-1'), 0);
    assert.ok(compareDpkgVersions('1:1.2.13.dfsg-1', '1.2.13.dfsg-1') > 0);
  });

  it('release candidates with ~ sort before the release, backports and security updates after', () => {
    assert.ok(compareDpkgVersions('3.0.11~rc1-1', '3.0.11-1') < 0);
    assert.ok(compareDpkgVersions('3.0.11-1~deb12u1', '3.0.11-1') < 0, 'a backport sorts before the version it is backported from');
    assert.ok(compareDpkgVersions('3.0.11-1~deb12u1', '3.0.11-1~deb12u2') < 0);
    assert.ok(compareDpkgVersions('2.36-9+deb12u4', '2.36-9+deb12u10') < 0);
    assert.ok(compareDpkgVersions('2.36-9', '2.36-9+deb12u1') < 0);
    assert.ok(compareDpkgVersions('1.1.0l-1~deb9u5', '1.1.0l-1~deb9u6') < 0);
    assert.ok(compareDpkgVersions('1.2.1-2.2+wheezy3', '1.2.1-2.2+wheezy2') > 0);
  });

  it('a hyphen inside the upstream version belongs to it; the revision starts at the last one', () => {
    assert.equal(compareDpkgVersions('1.0-1-2', '1.0-1-2'), 0);
    assert.ok(compareDpkgVersions('1.0-1-2', '1.0-2-1') < 0);
    assert.ok(compareDpkgVersions('0.9j-20080306-4', '0.9j-20080306-3') > 0);
  });

  it('Ubuntu revisions order as dpkg says', () => {
    assert.ok(compareDpkgVersions('2.35-0ubuntu3.13', '2.35-0ubuntu3.14') < 0);
    assert.ok(compareDpkgVersions('2.35-0ubuntu3.9', '2.35-0ubuntu3.14') < 0);
    assert.ok(compareDpkgVersions('8.32-4.1ubuntu1.3', '8.32-4.1ubuntu1.4') < 0);
    assert.ok(compareDpkgVersions('8.32-4ubuntu3', '8.32-4.1ubuntu1') < 0);
    assert.ok(compareDpkgVersions('3.0.2-0ubuntu1.10', '3.0.2-0ubuntu1.9') > 0);
  });

  it('surrounding whitespace is ignored, as dpkg trims it', () => {
    assert.equal(compareDpkgVersions('  \t0:0-1', '0:0-1'), 0);
    assert.equal(compareDpkgVersions('0:0-1\t  ', '0:0-1'), 0);
  });

  it('is exposed as the Debian comparator', () => {
    assert.equal(dpkgComparator.ecosystem, 'Debian');
    assert.ok(dpkgComparator.compare('1.0', '1.1') < 0);
    assert.equal(dpkgComparator.isValid('1.0'), true);
  });
});

describe('dpkg version validity (parseversion)', () => {
  const valid = [
    '0',
    '0:0',
    '0:0-0',
    '0:0.0-0.0',
    '1:0',
    '5:1',
    '0:0-0-0',
    '0:0-0-0-0',
    '0:0:0-0',
    '0:0:0:0-0',
    '0:0:0-0-0',
    '0:0-0:0-0',
    '0:09azAZ.-+~:-0',
    '0:0-azAZ09.+~',
    '  \t0:0-1',
    '0:0-1\t  ',
    '1:1.2.13.dfsg-1',
    '2.36-9+deb12u4',
    '3.0.11-1~deb12u2',
    '8.32-4.1ubuntu1.3',
  ];
  for (const version of valid) {
    it(`accepts ${JSON.stringify(version)}`, () => assert.equal(isValidDpkgVersion(version), true));
  }

  const invalid: [string, string][] = [
    ['', 'empty version'],
    ['  ', 'blank version'],
    ['0:', 'empty upstream version after the epoch'],
    ['0:0 0-1', 'embedded space'],
    ['-1:0-1', 'negative epoch'],
    ['999999999999999999999999:0-1', 'epoch too big'],
    ['a:0-0', 'letter in the epoch'],
    ['A:0-0', 'letter in the epoch'],
    [':1.0', 'empty epoch'],
    ['-0', 'empty upstream version'],
    ['0:-0', 'empty upstream version after the epoch'],
    ['0:abc3-0', 'upstream version not starting with a digit'],
    ['foo5.2', 'upstream version not starting with a digit'],
    ['10a:5.2', 'bad epoch'],
    ['5.2@3-2', 'illegal character'],
    ['0:0-0:0', 'colon in the revision'],
    ['1.0-', 'empty revision'],
  ];
  for (const [version, why] of invalid) {
    it(`refuses ${JSON.stringify(version)} (${why})`, () => assert.equal(isValidDpkgVersion(version), false));
  }

  it('refuses every character dpkg refuses in the upstream version', () => {
    for (const char of "!#@$%&/|\\<>()[]{};,_=*^'") {
      assert.equal(isValidDpkgVersion(`0:0${char}-0`), false, char);
    }
  });

  it('refuses every character dpkg refuses in the revision', () => {
    for (const char of "!#@$%&/|\\<>()[]{}:;,_=*^'") {
      assert.equal(isValidDpkgVersion(`0:0-0${char}`), false, char);
    }
  });
});
