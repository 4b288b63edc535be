import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cveIdsOf, embeddedCve, toAdvisory } from './advisory.js';
import { checkOsvRecord, parseOsvTime } from './osv-record.js';

const FIXTURES = new URL('../../../../test/fixtures/osv/', import.meta.url);

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function valid(value: unknown) {
  const checked = checkOsvRecord(value);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  return checked.record;
}

describe('OSV record schema', () => {
  it('accepts every published record among the fixtures', () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.json'));
    assert.ok(files.length >= 5);
    for (const file of files) valid(fixture(file));
  });

  const broken: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /schema: \//],
    ['no id', { modified: '2024-01-01T00:00:00Z' }, /schema/],
    ['no modified', { id: 'DSA-3029-1', summary: 'nginx - security update' }, /schema/],
    ['modified is not a timestamp', { id: 'X-1', modified: 'yesterday' }, /modified is not an RFC 3339 timestamp/],
    ['an id with a space', { id: 'X 1', modified: '2024-01-01T00:00:00Z' }, /\/id/],
    ['aliases not a list', { id: 'X-1', modified: '2024-01-01T00:00:00Z', aliases: 'CVE-2024-1' }, /\/aliases/],
    [
      'an event with two kinds',
      {
        id: 'X-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0', fixed: '1.0.2' }] }] }],
      },
      /\/affected\/0\/ranges\/0\/events\/0/,
    ],
    [
      'a range without events',
      { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [] }] }] },
      /events/,
    ],
    ['a package without a name', { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] }, /package/],
  ];
  for (const [why, value, reason] of broken) {
    it(`refuses a record with ${why}, saying where`, () => {
      const checked = checkOsvRecord(value);
      assert.equal(checked.ok, false);
      if (!checked.ok) assert.match(checked.reason, reason);
    });
  }

  it('allows fields it does not know, for newer schema versions', () => {
    valid({ id: 'X-1', modified: '2024-01-01T00:00:00Z', schema_version: '9.9.9', future_field: { a: 1 } });
  });

  it('reads RFC 3339 times with fractions and offsets', () => {
    assert.equal(parseOsvTime('2026-07-08T04:32:24.548042624Z'), Date.UTC(2026, 6, 8, 4, 32, 24, 548));
    assert.equal(parseOsvTime('2024-01-01T02:00:00+02:00'), Date.UTC(2024, 0, 1));
    assert.equal(parseOsvTime('2024-01-01'), null);
  });
});

describe('records reduced to advisories', () => {
  it('keeps the ordered ranges and versions of each affected package', () => {
    const advisory = toAdvisory(valid(fixture('DLA-3008-1.json')));
    assert.equal(advisory.id, 'DLA-3008-1');
    assert.equal(advisory.modified, Date.parse('2026-03-09T01:23:33.375630Z'));
    assert.equal(advisory.withdrawn, null);
    assert.equal(advisory.affected.length, 1);
    const [entry] = advisory.affected;
    assert.equal(entry?.ecosystem, 'Debian:9');
    assert.equal(entry?.package, 'openssl');
    assert.deepEqual(entry?.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }] }]);
    assert.equal(entry?.versions.length, 19);
  });

  it("reads GitHub's database_specific severity and the record's CVSS vectors", () => {
    const advisory = toAdvisory(valid(fixture('GHSA-whgm-jr23-g3j9.json')));
    assert.equal(advisory.databaseSeverity, 'HIGH');
    assert.deepEqual(advisory.severity, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }]);
  });

  it("reads Ubuntu's per-release CVE map", () => {
    const advisory = toAdvisory(valid(fixture('USN-8697-1.json')));
    const jammy = advisory.affected.find((entry) => entry.ecosystem === 'Ubuntu:22.04:LTS');
    assert.deepEqual(
      jammy?.cves.map((cve) => cve.id),
      ['CVE-2025-5278'],
    );
    const resolute = advisory.affected.find((entry) => entry.ecosystem === 'Ubuntu:26.04:LTS');
    assert.deepEqual(
      resolute?.cves.map((cve) => cve.id),
      ['CVE-2025-5278', 'CVE-2026-56391'],
    );
  });

  it('drops GIT ranges, which need the repository to evaluate', () => {
    const advisory = toAdvisory(
      valid({
        id: 'OSV-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'OSS-Fuzz', name: 'x' },
            ranges: [
              { type: 'GIT', repo: 'https://example.org/x.git', events: [{ introduced: 'abc' }] },
              { type: 'ECOSYSTEM', events: [{ introduced: '0' }] },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(
      advisory.affected[0]?.ranges.map((range) => range.type),
      ['ECOSYSTEM'],
    );
  });

  it('marks withdrawn records', () => {
    assert.equal(toAdvisory(valid(fixture('PYSEC-2021-63.json'))).withdrawn, Date.parse('2021-02-10T20:15:00Z'));
  });
});

describe('the CVEs a record is about', () => {
  it('a CVE record, or a distribution record wrapping one, is about that CVE only', () => {
    assert.deepEqual(cveIdsOf({ id: 'CVE-2024-1', aliases: [], upstream: [] }), []);
    assert.deepEqual(cveIdsOf({ id: 'CVE-2024-1234', aliases: [], upstream: [] }), ['CVE-2024-1234']);
    assert.deepEqual(cveIdsOf({ id: 'DEBIAN-CVE-2019-5481', aliases: [], upstream: ['CVE-2019-5481', 'CVE-2019-5482'] }), ['CVE-2019-5481']);
    assert.equal(embeddedCve('UBUNTU-CVE-2026-56391'), 'CVE-2026-56391');
    assert.equal(embeddedCve('DSA-5514-1'), null);
  });

  it('an advisory is about the CVEs among its aliases and upstream ids', () => {
    const dsa = toAdvisory(valid(fixture('DSA-1543-1.json')));
    assert.equal(cveIdsOf(dsa).length, 8);
    assert.deepEqual(cveIdsOf(toAdvisory(valid(fixture('GHSA-whgm-jr23-g3j9.json')))), ['CVE-2021-23424']);
    assert.deepEqual(cveIdsOf(toAdvisory(valid(fixture('DLA-3051-1.json')))), []);
  });
});
