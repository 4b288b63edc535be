import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { InstalledPackage, Inventory } from '../inventory.js';
import { type Advisory, toAdvisory } from './advisory.js';
import { createMemoryAdvisoryLookup } from './advisory-lookup.js';
import { matchInventory } from './matcher.js';
import { checkOsvRecord } from './osv-record.js';

const FIXTURES = new URL('../../../../test/fixtures/osv/', import.meta.url);

function advisoryFrom(value: unknown): Advisory {
  const checked = checkOsvRecord(value);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  return toAdvisory(checked.record);
}

function fixture(name: string): Advisory {
  return advisoryFrom(JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')));
}

function pkg(ecosystem: string, name: string, version: string, source?: { name: string; version?: string }): InstalledPackage {
  return { ecosystem, name, version, sourceName: source?.name ?? null, sourceVersion: source?.version ?? null, path: '/var/lib/dpkg/status' };
}

function inventory(...packages: InstalledPackage[]): Inventory {
  return { os: null, packages, analysers: {}, unsupported: [], unsettled: [], advisoryGaps: [] };
}

async function match(advisories: Advisory[], ...packages: InstalledPackage[]) {
  return matchInventory(inventory(...packages), createMemoryAdvisoryLookup(advisories));
}

// Constructed, not published: Debian's own record for the CVE that DLA-3008-1 fixes, shaped
// like the DEBIAN-CVE records osv.dev serves, with a CVSS vector to rate it.
const DEBIAN_CVE_2022_1292 = advisoryFrom({
  id: 'DEBIAN-CVE-2022-1292',
  modified: '2025-01-01T00:00:00Z',
  upstream: ['CVE-2022-1292'],
  details: 'The c_rehash script does not properly sanitise shell metacharacters to prevent command injection.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Debian:9', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }] }],
    },
  ],
});

describe('matching Debian packages', () => {
  const libssl = pkg('Debian:9', 'libssl1.1', '1.1.0l-1~deb9u5', { name: 'openssl', version: '1.1.0l-1~deb9u5' });

  it('finds the source package of a binary, and reports the binary', async () => {
    const [finding, ...rest] = await match([fixture('DLA-3008-1')], libssl);
    assert.equal(rest.length, 0);
    assert.deepEqual(finding, {
      name: 'CVE-2022-1292',
      severity: 'UNDEFINED',
      package: 'libssl1.1',
      version: '1.1.0l-1~deb9u5',
      fixedVersion: '1.1.0l-1~deb9u6',
      uri: 'https://osv.dev/vulnerability/DLA-3008-1',
      description: 'openssl - security update',
      cvss: null,
      aliases: ['DEBIAN-CVE-2022-1292', 'DLA-3008-1'],
      path: '/var/lib/dpkg/status',
    });
  });

  it('reports one finding per CVE per package when a DLA and the CVE record both apply', async () => {
    const findings = await match([fixture('DLA-3008-1'), DEBIAN_CVE_2022_1292], libssl);
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding?.name, 'CVE-2022-1292');
    assert.equal(finding?.severity, 'CRITICAL');
    assert.deepEqual(finding?.cvss, { score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    assert.deepEqual(finding?.aliases, ['DEBIAN-CVE-2022-1292', 'DLA-3008-1']);
    assert.equal(finding?.uri, 'https://osv.dev/vulnerability/DEBIAN-CVE-2022-1292');
  });

  it('compares the source version, as the records speak of source packages', async () => {
    // A binNMU: the binary carries +b1, the source does not.
    const binNmu = pkg('Debian:9', 'libssl1.1', '1.1.0l-1~deb9u6+b1', { name: 'openssl', version: '1.1.0l-1~deb9u6' });
    assert.deepEqual(await match([fixture('DLA-3008-1')], binNmu), []);
  });

  it('falls back to the binary name and version when the source is the same', async () => {
    const findings = await match([fixture('DLA-3012-1')], pkg('Debian:9', 'libxml2', '2.9.4+dfsg1-2.2+deb9u6'));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.fixedVersion]),
      [['CVE-2022-29824', '2.9.4+dfsg1-2.2+deb9u7']],
    );
  });

  it('reports every binary built from an affected source, and a binary installed twice once', async () => {
    const findings = await match(
      [fixture('DLA-3008-1')],
      libssl,
      pkg('Debian:9', 'openssl', '1.1.0l-1~deb9u5'),
      { ...libssl, path: '/other/var/lib/dpkg/status' },
    );
    assert.deepEqual(
      findings.map((finding) => [finding.package, finding.name]),
      [
        ['libssl1.1', 'CVE-2022-1292'],
        ['openssl', 'CVE-2022-1292'],
      ],
    );
  });

  it('matches the release: a Debian:10 package is not matched by a Debian:9 record', async () => {
    assert.deepEqual(await match([fixture('DLA-3008-1')], { ...libssl, ecosystem: 'Debian:10' }), []);
  });

  it('a record that names no release applies to every release', async () => {
    const unscoped = advisoryFrom({
      id: 'DEBIAN-CVE-2024-0001',
      modified: '2025-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'Debian', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
    });
    const findings = await match([unscoped], { ...libssl, ecosystem: 'Debian:12' });
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.fixedVersion]),
      [['CVE-2024-0001', null]],
    );
  });

  it('does not report a fixed package', async () => {
    assert.deepEqual(await match([fixture('DLA-3008-1')], { ...libssl, version: '1.1.0l-1~deb9u6', sourceVersion: '1.1.0l-1~deb9u6' }), []);
  });

  it('names a record without any CVE by its own id', async () => {
    const findings = await match([fixture('DLA-3051-1')], pkg('Debian:9', 'tzdata', '2021a-0+deb9u3'));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.description, finding.aliases]),
      [['DLA-3051-1', 'tzdata - new timezone database', []]],
    );
  });

  it('splits an advisory fixing several CVEs into one finding per CVE', async () => {
    const findings = await match([fixture('DSA-1543-1')], pkg('Debian:4.0', 'vlc', '0.8.6-svn20061012.debian-5etch1'));
    assert.equal(findings.length, 8);
    assert.deepEqual(
      findings.map((finding) => finding.name),
      ['CVE-2007-6681', 'CVE-2007-6682', 'CVE-2007-6683', 'CVE-2008-0073', 'CVE-2008-0295', 'CVE-2008-0296', 'CVE-2008-0984', 'CVE-2008-1489'],
    );
    assert.deepEqual(findings[0]?.aliases, ['DEBIAN-CVE-2007-6681', 'DSA-1543-1'], 'no other CVE among the aliases');
    assert.ok(findings.every((finding) => finding.fixedVersion === '0.8.6-svn20061012.debian-5.1+etch2'));
  });

  it('rates a finding from a record that its aliases name (a GitHub advisory for the CVE)', async () => {
    const debian = advisoryFrom({
      id: 'DEBIAN-CVE-2021-23424',
      modified: '2025-01-01T00:00:00Z',
      upstream: ['CVE-2021-23424'],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'node-ansi-html' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
    });
    const [finding] = await match([debian, fixture('GHSA-whgm-jr23-g3j9')], pkg('Debian:12', 'node-ansi-html', '0.0.7-3'));
    assert.equal(finding?.name, 'CVE-2021-23424');
    assert.equal(finding?.severity, 'HIGH');
    assert.deepEqual(finding?.cvss, { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' });
    assert.deepEqual(finding?.aliases, ['DEBIAN-CVE-2021-23424'], 'a record that only rates is not an alias of the match');
  });
});

describe('matching Alpine packages', () => {
  it('matches the origin package in its release, with the apk ordering', async () => {
    const findings = await match(
      [fixture('ALPINE-CVE-2025-26519')],
      pkg('Alpine:v3.19', 'musl-utils', '1.2.4_git20230717-r4', { name: 'musl' }),
      pkg('Alpine:v3.20', 'musl', '1.2.5-r1'),
    );
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0], {
      name: 'CVE-2025-26519',
      severity: 'HIGH',
      package: 'musl-utils',
      version: '1.2.4_git20230717-r4',
      fixedVersion: '1.2.4_git20230717-r5',
      uri: 'https://security.alpinelinux.org/vuln/CVE-2025-26519',
      description:
        'musl libc 0.9.13 through 1.2.5 before 1.2.6 has an out-of-bounds write vulnerability when an attacker can trigger iconv conversion of untrusted EUC-KR text to UTF-8.',
      cvss: { score: 7, vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H' },
      aliases: ['ALPINE-CVE-2025-26519'],
      path: '/var/lib/dpkg/status',
    });
  });

  it('does not match a release the record does not name, nor a version before introduced', async () => {
    assert.deepEqual(await match([fixture('ALPINE-CVE-2025-26519')], pkg('Alpine:v3.15', 'musl', '1.2.2-r7')), []);
    assert.deepEqual(await match([fixture('ALPINE-CVE-2025-26519')], pkg('Alpine:v3.19', 'musl', '0.9.12-r0')), []);
  });

  it('honours last_affected, limit and versions lists', async () => {
    const record = advisoryFrom({
      id: 'ALPINE-CVE-2024-9999',
      modified: '2025-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'Alpine:v3.20', name: 'busybox' },
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '1.36.0' }, { last_affected: '1.36.1-r5' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '1.37.0' }, { limit: '1.37.0-r3' }] },
          ],
          versions: ['1.35.0-r99'],
        },
      ],
    });
    const names = async (version: string) => (await match([record], pkg('Alpine:v3.20', 'busybox', version))).map((finding) => finding.name);
    assert.deepEqual(await names('1.36.1-r5'), ['CVE-2024-9999']);
    assert.deepEqual(await names('1.36.1-r6'), []);
    assert.deepEqual(await names('1.37.0-r2'), ['CVE-2024-9999']);
    assert.deepEqual(await names('1.37.0-r3'), []);
    assert.deepEqual(await names('1.35.0-r99'), ['CVE-2024-9999']);
    assert.deepEqual(await names('1.35.0-r98'), []);
  });
});

describe('matching Ubuntu packages', () => {
  it('reports only the CVEs the notice fixes in the installed release, rated from its CVE map', async () => {
    const findings = await match([fixture('USN-8697-1')], pkg('Ubuntu:22.04:LTS', 'coreutils', '8.32-4.1ubuntu1.3'));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.severity, finding.fixedVersion, finding.cvss?.score]),
      [['CVE-2025-5278', 'MEDIUM', '8.32-4.1ubuntu1.4', 4.4]],
    );
    assert.equal(findings[0]?.uri, 'https://ubuntu.com/security/notices/USN-8697-1');
    assert.deepEqual(findings[0]?.aliases, ['UBUNTU-CVE-2025-5278', 'USN-8697-1']);
  });

  it('prefers the CVSS v4 vector where the map gives one', async () => {
    const findings = await match([fixture('USN-8697-1')], pkg('Ubuntu:26.04:LTS', 'gnu-coreutils', '9.7-3ubuntu2', { name: 'coreutils' }));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.cvss?.vector?.startsWith('CVSS:4.0/'), finding.package]),
      [
        ['CVE-2025-5278', false, 'gnu-coreutils'],
        ['CVE-2026-56391', true, 'gnu-coreutils'],
      ],
    );
  });
});

describe('records without an ordering, withdrawn records and stated severities', () => {
  it('ignores withdrawn records', async () => {
    assert.deepEqual(await match([fixture('PYSEC-2021-63')], pkg('PyPI', 'cryptography', '3.2')), []);
  });

  // PyPI and npm have orderings; their records are relabelled to an ecosystem without one.
  const unordered = (advisory: Advisory): Advisory => ({ ...advisory, affected: advisory.affected.map((entry) => ({ ...entry, ecosystem: 'Pub' })) });

  it('matches exact versions listed by a record of an ecosystem without a registered ordering', async () => {
    const live = unordered({ ...fixture('PYSEC-2021-63'), withdrawn: null });
    const findings = await match([live], pkg('Pub', 'cryptography', '3.2'), pkg('Pub', 'cryptography', '3.2.2'));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.version, finding.fixedVersion]),
      [['CVE-2020-36242', '3.2', null]],
    );
  });

  it('does not guess a range it cannot order', async () => {
    assert.deepEqual(await match([unordered(fixture('GHSA-whgm-jr23-g3j9'))], pkg('Pub', 'ansi-html', '0.0.7')), []);
  });

  it("uses the database's stated severity when there is no vector", async () => {
    const stated = advisoryFrom({
      id: 'GHSA-aaaa-bbbb-cccc',
      modified: '2025-01-01T00:00:00Z',
      summary: 'A flaw',
      database_specific: { severity: 'MODERATE' },
      affected: [{ package: { ecosystem: 'Alpine:v3.20', name: 'zlib' }, versions: ['1.3.1-r0'] }],
    });
    const [finding] = await match([stated], pkg('Alpine:v3.20', 'zlib', '1.3.1-r0'));
    assert.equal(finding?.name, 'GHSA-aaaa-bbbb-cccc');
    assert.equal(finding?.severity, 'MEDIUM');
    assert.equal(finding?.cvss, null);
  });

  it('an own vector outranks a related record’s', async () => {
    const own = { ...DEBIAN_CVE_2022_1292, severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:M/Au:N/C:N/I:P/A:N' }] };
    const related = advisoryFrom({
      id: 'CVE-2022-1292',
      modified: '2025-01-01T00:00:00Z',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    });
    const [finding] = await match([own, related], pkg('Debian:9', 'openssl', '1.1.0l-1~deb9u1'));
    assert.equal(finding?.severity, 'MEDIUM');
    assert.equal(finding?.cvss?.score, 4.3);
  });
});
