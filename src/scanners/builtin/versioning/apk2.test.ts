import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compareApkVersions } from './apk.js';
import { compareApk2Versions, isValidApk2Version } from './apk2.js';

// apk-tools 2's own list (`test/version.data` of its 2.14-stable branch), copied unchanged
// (see testdata/README.md): `a op b`, `#` comments.
const VERSION_DATA = readFileSync(new URL('./testdata/apk-tools-2-version.data', import.meta.url), 'utf8');

const EXPECTED: Readonly<Record<string, number>> = { '<': -1, '=': 0, '>': 1 };

function vectors(): { line: number; a: string; op: string; b: string }[] {
  return VERSION_DATA.split('\n')
    .map((text, index) => ({ text: text.replace(/#.*$/, '').trim(), line: index + 1 }))
    .filter(({ text }) => text.length > 0)
    .map(({ text, line }) => {
      const [a = '', op = '', b = ''] = text.split(/\s+/);
      return { line, a, op, b };
    });
}

describe("apk-tools 2 version comparison: apk-tools 2.14's test/version.data", () => {
  const cases = vectors();
  it('reads the whole list', () => assert.equal(cases.length, 733));
  for (const { line, a, op, b } of cases) {
    it(`line ${line}: ${a} ${op} ${b}`, () => {
      const expected = EXPECTED[op];
      assert.notEqual(expected, undefined, `unknown operator ${op}`);
      assert.equal(compareApk2Versions(a, b), expected);
      assert.equal(compareApk2Versions(b, a), expected === 0 ? 0 : -(expected as number));
    });
  }
});

describe('apk-tools 2 against apk-tools 3: where Alpine releases before 3.23 order differently', () => {
  it('reads digits after a letter as a number (OpenSSH and sudo versions in Alpine advisories)', () => {
    assert.equal(compareApk2Versions('6.0.2p1-r3', '6.0.2p1-r5'), -1);
    assert.equal(compareApk2Versions('1.9.5p1', '1.9.5p2'), -1);
    assert.equal(compareApk2Versions('9.3p2-r1', '9.3p10-r0'), -1);
    assert.ok(isValidApk2Version('1.9.5p1'));
    // apk-tools 3 refuses the spelling and answers "equal" past the invalid token.
    assert.equal(compareApkVersions('6.0.2p1-r3', '6.0.2p1-r5'), 0);
  });

  it('orders leading zeros as apk-tools 2 does', () => {
    assert.equal(compareApk2Versions('8.2.0', '8.2.001'), 1);
    assert.equal(compareApkVersions('8.2.0', '8.2.001'), -1);
  });

  it('is total on malformed input', () => {
    for (const junk of ['', '1..2', '1.0-', '1.0_foo', 'a', '1.0~zz']) {
      assert.equal(compareApk2Versions(junk, junk), 0, junk);
      assert.ok(Number.isFinite(compareApk2Versions(junk, '1.0')), junk);
    }
  });
});
