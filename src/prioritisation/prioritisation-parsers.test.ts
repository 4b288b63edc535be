import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { cveOf } from './cve-key.js';
import { parseEpssCsv } from './epss-csv.js';
import { parseKevCatalogue } from './kev-catalogue.js';
import { parseNvdDocument, severityOfScore } from './nvd-records.js';
import { epssBand } from './prioritised-finding.js';
import { EnrichmentSourceError } from './source-error.js';

const FIXTURES = new URL('../../test/fixtures/prioritisation/', import.meta.url);

async function fixture(name: string): Promise<string> {
  const bytes = await readFile(new URL(name, FIXTURES));
  return (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

describe('KEV catalogue', () => {
  it('reads the published catalogue: CVE, dates and ransomware use', async () => {
    const catalogue = parseKevCatalogue(await fixture('known_exploited_vulnerabilities.json'));
    assert.equal(catalogue.catalogVersion, '2026.06.15');
    assert.equal(catalogue.entries.length, 4);
    assert.deepEqual(
      catalogue.entries.find((entry) => entry.cve === 'CVE-2022-0492'),
      { cve: 'CVE-2022-0492', dateAdded: '2026-06-02', dueDate: '2026-06-05', ransomware: false },
    );
    assert.equal(catalogue.entries.find((entry) => entry.cve === 'CVE-2026-35273')?.ransomware, true);
  });

  it('refuses a document that is not the catalogue, naming the entry', () => {
    assert.throws(() => parseKevCatalogue('{"title":"x"}'), /no "vulnerabilities" array/);
    assert.throws(() => parseKevCatalogue('{"vulnerabilities":[{"cveID":"CVE-2022-0492","dateAdded":"2 June"}]}'), /vulnerabilities\[0\]\.dateAdded/);
    assert.throws(() => parseKevCatalogue('{"vulnerabilities":[{"cveID":"nope","dateAdded":"2026-06-02"}]}'), EnrichmentSourceError);
    assert.throws(() => parseKevCatalogue('<html>'), /not JSON/);
  });
});

describe('EPSS file', () => {
  it('reads the model version, the score date and every row of the published CSV', async () => {
    const file = parseEpssCsv(await fixture('epss_scores-2026-03-28.excerpt.csv.gz'));
    assert.equal(file.modelVersion, 'v2025.03.14');
    assert.equal(file.scoreDate, '2026-03-28');
    assert.equal(file.rows.length, 4);
    assert.deepEqual(file.rows[2], { cve: 'CVE-2021-44228', score: 0.94358, percentile: 0.9996 });
  });

  it('takes the score date written with a numeric zone, and a file without the comment line', () => {
    assert.equal(parseEpssCsv('#model_version:v2023.03.01,score_date:2025-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-1999-0001,0.00383,0.72779\n').scoreDate, '2025-01-01');
    assert.equal(parseEpssCsv('cve,epss,percentile\r\nCVE-1999-0001,0.00383,0.72779\r\n').rows.length, 1);
  });

  it('refuses a row out of range or malformed, naming its line', () => {
    assert.throws(() => parseEpssCsv('#model_version:v1\ncve,epss,percentile\nCVE-1999-0001,1.5,0.5\n'), /line 3/);
    assert.throws(() => parseEpssCsv('cve,score\nCVE-1999-0001,0.1\n'), /header/);
    assert.throws(() => parseEpssCsv('cve,epss,percentile\nCVE-1999-0001,0.1,0.5,extra\n'), /line 2/);
  });
});

describe('NVD records', () => {
  it('takes NVD\'s own v3.1 base score from an API 2.0 answer', async () => {
    const { rows, skipped } = parseNvdDocument(await fixture('nvd-cves-2.0.json'));
    assert.equal(skipped, 0);
    assert.deepEqual(
      rows.map((row) => [row.cve, row.severity, row.score, row.vector]),
      [
        ['CVE-2021-44228', 'CRITICAL', 10, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'],
        ['CVE-2022-0492', 'HIGH', 7.8, 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'],
      ],
    );
    assert.equal(rows[0]?.modified, Date.parse('2025-04-03T20:53:22.977Z'));
  });

  it('reads a bare CVE record and falls back to the CNA\'s (Secondary) score', async () => {
    const { rows } = parseNvdDocument(await fixture('CVE-2025-26519.json'));
    assert.deepEqual(rows.map((row) => [row.cve, row.severity, row.score]), [['CVE-2025-26519', 'HIGH', 8.1]]);
  });

  it('prefers a Primary v4.0 score to a Secondary v3.1 one, and skips a record with no v3/v4 score', async () => {
    const record = JSON.parse(await fixture('CVE-2025-26519.json')) as { metrics: Record<string, unknown> };
    // The published record, given the v4.0 metric a CNA would add (same shape as cvssMetricV31).
    record.metrics['cvssMetricV40'] = [
      { source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '4.0', vectorString: 'CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N', baseScore: 6.9, baseSeverity: 'MEDIUM' } },
    ];
    assert.deepEqual(parseNvdDocument(JSON.stringify(record)).rows.map((row) => [row.severity, row.score]), [['MEDIUM', 6.9]]);
    const bare = { ...record, metrics: {} };
    assert.deepEqual(parseNvdDocument(JSON.stringify(bare)), { rows: [], skipped: 1 });
  });

  it('refuses a document that is neither an answer nor a record', () => {
    assert.throws(() => parseNvdDocument('{"totalResults":0}'), /neither/);
    assert.throws(() => parseNvdDocument('{"vulnerabilities":[{"cve":{"id":"CVE-2022-0492"}}]}'), /lastModified/);
  });

  it('rates base scores as the CVSS specifications do', () => {
    assert.deepEqual([9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(severityOfScore), ['CRITICAL', 'HIGH', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'INFORMATIONAL']);
  });
});

describe('CVE key and EPSS bands', () => {
  it('finds the CVE a finding goes by in its name, a wrapping id or its aliases', () => {
    assert.equal(cveOf('CVE-2022-0492', []), 'CVE-2022-0492');
    assert.equal(cveOf('DEBIAN-CVE-2022-0492', []), 'CVE-2022-0492');
    assert.equal(cveOf('GHSA-jfh8-c2jp-5v3q', ['CVE-2021-44228']), 'CVE-2021-44228');
    assert.equal(cveOf('DSA-5000-1', ['DEBIAN-CVE-2021-1']), null);
  });

  it('puts scores into tenths, a missing score in the lowest', () => {
    assert.deepEqual([null, 0.01, 0.0999, 0.1, 0.94358, 1].map((score) => epssBand(score === null ? null : { score, percentile: 0.5, date: null })), [0, 0, 0, 1, 9, 9]);
  });
});
