import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnhancedImageScanFinding } from '@aws-sdk/client-ecr';
import { normaliseBasicFinding, normaliseEnhancedFinding } from './ecr-findings.js';

describe('normaliseBasicFinding', () => {
  test('reads package, version and CVSS from the attributes, v3 before v2', () => {
    const finding = normaliseBasicFinding({
      name: 'CVE-2019-5188',
      description: 'A code execution vulnerability exists in e2fsck.',
      uri: 'https://security-tracker.debian.org/tracker/CVE-2019-5188',
      severity: 'MEDIUM',
      attributes: [
        { key: 'package_version', value: '1.44.1-1ubuntu1.1' },
        { key: 'package_name', value: 'e2fsprogs' },
        { key: 'CVSS2_VECTOR', value: 'AV:L/AC:L/Au:N/C:P/I:P/A:P' },
        { key: 'CVSS2_SCORE', value: '4.6' },
        { key: 'CVSS3_VECTOR', value: 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
        { key: 'CVSS3_SCORE', value: '6.7' },
      ],
    });
    assert.deepEqual(finding, {
      name: 'CVE-2019-5188',
      severity: 'MEDIUM',
      package: 'e2fsprogs',
      version: '1.44.1-1ubuntu1.1',
      fixedVersion: null,
      uri: 'https://security-tracker.debian.org/tracker/CVE-2019-5188',
      description: 'A code execution vulnerability exists in e2fsck.',
      cvss: { score: 6.7, vector: 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      aliases: [],
      path: null,
    });
  });

  test('falls back to CVSS v2, and to nothing', () => {
    const v2 = normaliseBasicFinding({ name: 'CVE-1', severity: 'LOW', attributes: [{ key: 'CVSS2_SCORE', value: '2.1' }] });
    assert.deepEqual(v2?.cvss, { score: 2.1, vector: null });
    const none = normaliseBasicFinding({ name: 'CVE-2', severity: 'LOW', attributes: [{ key: 'CVSS2_SCORE', value: 'n/a' }] });
    assert.equal(none?.cvss, null);
  });

  test('drops what is unusable: no name, non-http links, odd severities', () => {
    assert.equal(normaliseBasicFinding({ name: '  ', severity: 'HIGH' }), null);
    const finding = normaliseBasicFinding({ name: 'CVE-3', severity: 'SEVERE' as 'HIGH', uri: 'javascript:alert(1)' });
    assert.equal(finding?.uri, null);
    assert.equal(finding?.severity, 'UNDEFINED');
    assert.equal(finding?.package, null);
  });

  test('bounds very long descriptions', () => {
    const finding = normaliseBasicFinding({ name: 'CVE-4', severity: 'LOW', description: 'x'.repeat(100_000) });
    assert.equal(finding?.description?.length, 8 * 1024);
  });
});

function inspectorFinding(overrides: Partial<EnhancedImageScanFinding> = {}): EnhancedImageScanFinding {
  return {
    awsAccountId: '123456789012',
    description: 'In libexpat before 2.6.0 …',
    severity: 'HIGH',
    title: 'CVE-2023-52425 - expat',
    firstObservedAt: new Date('2026-02-01T00:00:00Z'),
    lastObservedAt: new Date('2026-03-01T00:00:00Z'),
    packageVulnerabilityDetails: {
      vulnerabilityId: 'CVE-2023-52425',
      source: 'DEBIAN_CVE',
      sourceUrl: 'https://security-tracker.debian.org/tracker/CVE-2023-52425',
      referenceUrls: ['https://nvd.nist.gov/vuln/detail/CVE-2023-52425'],
      relatedVulnerabilities: ['DSA-5678-1', 'CVE-2023-52425', 'DSA-5678-1'],
      cvss: [
        { baseScore: 5.0, scoringVector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P', version: '2.0', source: 'NVD' },
        { baseScore: 7.5, scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', version: '3.1', source: 'NVD' },
        { baseScore: 7.4, scoringVector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H', version: '3.1', source: 'DEBIAN_CVE' },
      ],
      vulnerablePackages: [
        { name: 'libexpat1', version: '2.5.0', release: '1', epoch: 0, fixedInVersion: '2.5.0-1+deb12u1' },
        { name: 'expat', version: '2.5.0', release: '1', epoch: 1, fixedInVersion: 'NotAvailable' },
      ],
    },
    ...overrides,
  };
}

describe('normaliseEnhancedFinding', () => {
  test('one finding per vulnerable package, with full versions, fixes, CVSS and aliases', () => {
    const findings = normaliseEnhancedFinding(inspectorFinding());
    assert.deepEqual(findings, [
      {
        name: 'CVE-2023-52425',
        severity: 'HIGH',
        uri: 'https://security-tracker.debian.org/tracker/CVE-2023-52425',
        description: 'In libexpat before 2.6.0 …',
        cvss: { score: 7.4, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H' },
        aliases: ['DSA-5678-1'],
        path: null,
        package: 'libexpat1',
        version: '2.5.0-1',
        fixedVersion: '2.5.0-1+deb12u1',
      },
      {
        name: 'CVE-2023-52425',
        severity: 'HIGH',
        uri: 'https://security-tracker.debian.org/tracker/CVE-2023-52425',
        description: 'In libexpat before 2.6.0 …',
        cvss: { score: 7.4, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H' },
        aliases: ['DSA-5678-1'],
        path: null,
        package: 'expat',
        version: '1:2.5.0-1',
        fixedVersion: null,
      },
    ]);
  });

  test('falls back to the title, reference URLs, Inspector score details and UNTRIAGED → UNDEFINED', () => {
    const [finding] = normaliseEnhancedFinding(
      inspectorFinding({
        severity: 'UNTRIAGED',
        packageVulnerabilityDetails: { referenceUrls: ['ftp://nope', 'https://example.com/advisory'], cvss: [] },
        scoreDetails: { cvss: { score: 6.1, scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' } },
      }),
    );
    assert.equal(finding?.name, 'CVE-2023-52425 - expat');
    assert.equal(finding?.severity, 'UNDEFINED');
    assert.equal(finding?.uri, 'https://example.com/advisory');
    assert.deepEqual(finding?.cvss, { score: 6.1, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' });
    assert.equal(finding?.package, null);
  });

  test('a record without any id is dropped', () => {
    assert.deepEqual(normaliseEnhancedFinding({ severity: 'HIGH' }), []);
  });
});
