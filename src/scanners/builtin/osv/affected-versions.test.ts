import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparatorFor } from '../versioning/registry.js';
import type { AffectedSpec } from './advisory.js';
import { firstFixAbove, isAffected } from './affected-versions.js';
import type { OsvEvent } from './osv-record.js';

const dpkg = comparatorFor('Debian');
const apk = comparatorFor('Alpine');

function spec(events: OsvEvent[][], versions: string[] = [], type = 'ECOSYSTEM'): AffectedSpec {
  return { ranges: events.map((list) => ({ type, events: list })), versions, severity: [], cves: [] };
}

describe('OSV affected evaluation', () => {
  it('introduced 0 / fixed: everything before the fix', () => {
    const entry = spec([[{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }]]);
    assert.equal(isAffected('1.1.0l-1~deb9u5', entry, dpkg), true);
    assert.equal(isAffected('1.1.0f-3', entry, dpkg), true);
    assert.equal(isAffected('1.1.0l-1~deb9u6', entry, dpkg), false, 'the fixed version itself is not affected');
    assert.equal(isAffected('1.1.1n-0+deb10u1', entry, dpkg), false);
  });

  it('introduced above 0: versions before it are not affected', () => {
    const entry = spec([[{ introduced: '0.9.13' }, { fixed: '1.2.4-r3' }]]);
    assert.equal(isAffected('0.9.12-r0', entry, apk), false);
    assert.equal(isAffected('0.9.13', entry, apk), true, 'introduced is inclusive');
    assert.equal(isAffected('1.2.4-r2', entry, apk), true);
    assert.equal(isAffected('1.2.4-r3', entry, apk), false);
  });

  it('several introduced/fixed pairs in one range describe disjoint intervals', () => {
    const entry = spec([[{ introduced: '1.0' }, { fixed: '1.0.2' }, { introduced: '3.0' }, { fixed: '3.2.5' }]]);
    assert.equal(isAffected('0.9', entry, dpkg), false);
    assert.equal(isAffected('1.0.1', entry, dpkg), true);
    assert.equal(isAffected('2.0', entry, dpkg), false);
    assert.equal(isAffected('3.1', entry, dpkg), true);
    assert.equal(isAffected('3.2.5', entry, dpkg), false);
  });

  it('evaluates events in version order, not in the order written', () => {
    const entry = spec([[{ fixed: '3.2.5' }, { introduced: '3.0' }, { fixed: '1.0.2' }, { introduced: '1.0' }]]);
    assert.equal(isAffected('1.0.1', entry, dpkg), true);
    assert.equal(isAffected('2.0', entry, dpkg), false);
    assert.equal(isAffected('3.1', entry, dpkg), true);
  });

  it('last_affected is inclusive', () => {
    const entry = spec([[{ introduced: '0' }, { last_affected: '2.1.214' }]]);
    assert.equal(isAffected('2.1.214', entry, dpkg), true);
    assert.equal(isAffected('2.1.213', entry, dpkg), true);
    assert.equal(isAffected('2.1.215', entry, dpkg), false);
    assert.equal(firstFixAbove('2.1.213', entry, dpkg), null, 'last_affected is not a fix');
  });

  it('introduced and last_affected at the same version mean that version only', () => {
    const entry = spec([[{ introduced: '5.6.0-r0' }, { last_affected: '5.6.0-r0' }]]);
    assert.equal(isAffected('5.6.0-r0', entry, apk), true);
    assert.equal(isAffected('5.6.0-r1', entry, apk), false);
    assert.equal(isAffected('5.4.6-r0', entry, apk), false);
  });

  it('limit caps the range, * means no cap, several limits widen it', () => {
    const limited = spec([[{ introduced: '1.0' }, { limit: '2.0' }]]);
    assert.equal(isAffected('1.5', limited, dpkg), true);
    assert.equal(isAffected('2.0', limited, dpkg), false);
    assert.equal(isAffected('2.5', limited, dpkg), false);
    const unlimited = spec([[{ introduced: '1.0' }, { limit: '*' }]]);
    assert.equal(isAffected('99', unlimited, dpkg), true);
    const two = spec([[{ introduced: '1.0' }, { limit: '2.0' }, { limit: '3.0' }]]);
    assert.equal(isAffected('2.5', two, dpkg), true);
    assert.equal(isAffected('3.0', two, dpkg), false);
  });

  it('a range without a fix affects every version from introduced on', () => {
    const entry = spec([[{ introduced: '0' }]]);
    assert.equal(isAffected('0~0', entry, dpkg), true, 'introduced 0 precedes even ~ versions');
    assert.equal(isAffected('99:1.0', entry, dpkg), true);
    assert.equal(firstFixAbove('1.0', entry, dpkg), null);
  });

  it('any one range suffices', () => {
    const entry = spec([[{ introduced: '0' }, { fixed: '1.0' }], [{ introduced: '2.0' }, { fixed: '2.1' }]]);
    assert.equal(isAffected('2.0.5', entry, dpkg), true);
    assert.equal(isAffected('1.5', entry, dpkg), false);
  });

  it('the versions list matches exactly, even without an ordering for the ecosystem', () => {
    const entry = spec([[{ introduced: '3.1' }, { fixed: '3.3.2' }]], ['3.1', '3.1.1', '3.2', '3.2.1', '3.3', '3.3.1']);
    assert.equal(isAffected('3.2', entry, null), true);
    assert.equal(isAffected('3.2.0', entry, null), false, 'no ordering: only exact listed versions');
    assert.equal(isAffected('3.3.2', entry, null), false);
    assert.equal(firstFixAbove('3.2', entry, null), null, 'no ordering, no fix claim');
  });

  it('firstFixAbove picks the lowest fix above the installed version across ranges', () => {
    const entry = spec([
      [{ introduced: '0' }, { fixed: '1.2.4-r3' }],
      [{ introduced: '1.2.5' }, { fixed: '1.2.5-r10' }],
      [{ introduced: '1.2.5' }, { fixed: '1.2.5-r1' }],
    ]);
    assert.equal(firstFixAbove('1.2.5-r0', entry, apk), '1.2.5-r1');
    assert.equal(firstFixAbove('1.2.3-r0', entry, apk), '1.2.4-r3');
    assert.equal(firstFixAbove('1.2.5-r10', entry, apk), null);
  });
});
