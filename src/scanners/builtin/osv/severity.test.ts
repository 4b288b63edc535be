import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestCvss, cvssSeverity, scoreCvssVector, statedSeverity, toFindingCvss } from './severity.js';

describe('CVSS vectors to scores', () => {
  // Scores as NVD and FIRST's calculators publish them for these vectors.
  const known: [string, string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '3.1', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', '3.1', 10],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', '3.1', 5.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', '3.1', 7.5],
    ['CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:N/A:N', '3.1', 4.4],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N', '3.0', 6.5],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', '4.0', 9.3],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', '2.0', 7.5],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', '2.0', 4.3],
    ['(AV:L/AC:L/Au:N/C:C/I:C/A:C)', '2.0', 7.2],
  ];
  for (const [vector, version, score] of known) {
    it(`${vector} → ${score}`, () => {
      const scored = scoreCvssVector(vector);
      assert.ok(scored);
      assert.equal(scored.version, version);
      assert.equal(scored.score, score);
    });
  }

  it('uses the base score when temporal metrics are present', () => {
    assert.equal(scoreCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U')?.score, 9.8);
  });

  it('gives no score for a number, a partial vector, an unknown metric or junk', () => {
    for (const text of ['7.5', 'CVSS:3.1/AV:N', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:5.0/AV:N', '', 'high']) {
      assert.equal(scoreCvssVector(text), null, text);
    }
  });
});

describe("NVD's severity buckets", () => {
  it('v3.x and v4.0', () => {
    assert.equal(cvssSeverity({ version: '3.1', score: 0 }), 'INFORMATIONAL');
    assert.equal(cvssSeverity({ version: '3.1', score: 0.1 }), 'LOW');
    assert.equal(cvssSeverity({ version: '3.1', score: 3.9 }), 'LOW');
    assert.equal(cvssSeverity({ version: '3.0', score: 4 }), 'MEDIUM');
    assert.equal(cvssSeverity({ version: '3.1', score: 6.9 }), 'MEDIUM');
    assert.equal(cvssSeverity({ version: '4.0', score: 7 }), 'HIGH');
    assert.equal(cvssSeverity({ version: '3.1', score: 8.9 }), 'HIGH');
    assert.equal(cvssSeverity({ version: '4.0', score: 9 }), 'CRITICAL');
    assert.equal(cvssSeverity({ version: '3.1', score: 10 }), 'CRITICAL');
  });

  it('v2 has no CRITICAL and no NONE', () => {
    assert.equal(cvssSeverity({ version: '2.0', score: 0 }), 'LOW');
    assert.equal(cvssSeverity({ version: '2.0', score: 3.9 }), 'LOW');
    assert.equal(cvssSeverity({ version: '2.0', score: 4 }), 'MEDIUM');
    assert.equal(cvssSeverity({ version: '2.0', score: 6.9 }), 'MEDIUM');
    assert.equal(cvssSeverity({ version: '2.0', score: 7 }), 'HIGH');
    assert.equal(cvssSeverity({ version: '2.0', score: 10 }), 'HIGH');
  });
});

describe('choosing among a record’s severity entries', () => {
  it('prefers the newest CVSS version, then the higher score', () => {
    const best = bestCvss([
      { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:H' },
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:L/SC:N/SI:N/SA:N' },
      { type: 'Ubuntu', score: 'medium' },
    ]);
    assert.equal(best?.version, '4.0');
    const v3 = bestCvss([
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
    ]);
    assert.equal(v3?.score, 7.5);
  });

  it('skips unusable vectors and non-CVSS types', () => {
    assert.equal(bestCvss([{ type: 'CVSS_V3', score: '9.8' }, { type: 'Ubuntu', score: 'high' }]), null);
    assert.equal(bestCvss([]), null);
  });

  it('reads stated severities in the vocabularies of GitHub and Ubuntu', () => {
    assert.equal(statedSeverity('MODERATE', []), 'MEDIUM');
    assert.equal(statedSeverity('HIGH', []), 'HIGH');
    assert.equal(statedSeverity(null, [{ type: 'Ubuntu', score: 'low' }]), 'LOW');
    assert.equal(statedSeverity(null, [{ type: 'Ubuntu', score: 'negligible' }]), 'INFORMATIONAL');
    assert.equal(statedSeverity('whatever', [{ type: 'Ubuntu', score: 'untriaged' }]), null, 'unknown words are not guessed');
    assert.equal(statedSeverity(null, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]), null);
  });

  it('converts to the finding’s cvss field', () => {
    assert.deepEqual(toFindingCvss({ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 }), {
      score: 9.8,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    });
    assert.equal(toFindingCvss(null), null);
  });
});
