import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cycloneDxErrors, sarifErrors, spdxErrors } from '../../test/support/export-validators.js';
import type { Finding } from '../domain/finding.js';
import type { InstalledPackage, Inventory } from '../scanners/builtin/inventory.js';
import { findingsCsv } from './csv-findings.js';
import { cycloneDxSbom } from './cyclonedx-sbom.js';
import type { ExportedImage, SbomInput } from './export-inputs.js';
import { sarifLog } from './sarif-log.js';
import { spdxSbom } from './spdx-sbom.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE: ExportedImage = { name: '127.0.0.1:5000/team/app:1.0', digest: DIGEST, repository: '127.0.0.1:5000/team/app', platform: 'linux/amd64' };
const TOOL = { name: 'ecrscan', version: '0.1.0' };

function pkg(ecosystem: string, name: string, version: string, path: string, source: [string, string] | null = null): InstalledPackage {
  return { ecosystem, name, version, sourceName: source?.[0] ?? null, sourceVersion: source?.[1] ?? null, path };
}

const DEBIAN: Inventory = {
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  packages: [
    pkg('Debian:12', 'libssl3', '3.0.15-1~deb12u1', 'var/lib/dpkg/status', ['openssl', '3.0.15-1~deb12u1']),
    pkg('Debian:12', 'zlib1g', '1:1.2.13.dfsg-1', 'var/lib/dpkg/status', ['zlib', '1:1.2.13.dfsg-1']),
    pkg('npm', '@babel/core', '7.24.0', 'srv/app/node_modules/@babel/core/package.json'),
    pkg('PyPI', 'Django_Allauth', '0.61.1', 'usr/lib/python3/site-packages/django_allauth-0.61.1.dist-info/METADATA'),
  ],
  analysers: { dpkg: '1' },
  unsupported: [],
  unsettled: [],
  advisoryGaps: [],
};

/** Red Hat's packages are inventoried twice (baseos and appstream); an rpm epoch goes to a qualifier. */
const RHEL: Inventory = {
  os: { id: 'rhel', versionId: '9.4', prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)' },
  packages: [
    pkg('Red Hat:enterprise_linux:9::appstream', 'openssl-libs', '1:3.0.7-27.el9', 'var/lib/rpm/rpmdb.sqlite', ['openssl', '1:3.0.7-27.el9']),
    pkg('Red Hat:enterprise_linux:9::baseos', 'openssl-libs', '1:3.0.7-27.el9', 'var/lib/rpm/rpmdb.sqlite', ['openssl', '1:3.0.7-27.el9']),
  ],
  analysers: { rpm: '3' },
  unsupported: [],
  unsettled: [],
  advisoryGaps: [],
};

const ALPINE: Inventory = {
  os: { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' },
  packages: [pkg('Alpine:v3.19', 'musl', '1.2.4_git20230717-r4', 'lib/apk/db/installed', ['musl', '1.2.4_git20230717-r4'])],
  analysers: { apk: '1' },
  unsupported: [],
  unsettled: [],
  advisoryGaps: [],
};

function input(inventory: Inventory): SbomInput {
  return { image: IMAGE, inventory, tool: TOOL, created: new Date('2026-12-07T10:00:00.123Z') };
}

function finding(name: string, severity: Finding['severity'], extra: Partial<Finding> = {}): Finding {
  return {
    name,
    severity,
    package: 'libssl3',
    version: '3.0.15-1~deb12u1',
    fixedVersion: '3.0.18-1~deb12u2',
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    description: 'A flaw, "quoted", with a comma',
    cvss: null,
    aliases: [],
    path: 'var/lib/dpkg/status',
    ...extra,
  };
}

interface CdxComponent {
  'bom-ref': string;
  type: string;
  name: string;
  version?: string;
  purl?: string;
  properties?: { name: string; value: string }[];
}

describe('CycloneDX 1.6', () => {
  for (const [label, inventory] of [
    ['Debian with npm and PyPI packages', DEBIAN],
    ['Red Hat', RHEL],
    ['Alpine', ALPINE],
  ] as const) {
    it(`${label}: valid against CycloneDX's strict 1.6 schema`, async () => {
      const json = cycloneDxSbom(input(inventory));
      assert.equal(await cycloneDxErrors(json), null);
    });
  }

  it('has the image as root component, the OS, and every package with its purl and source', () => {
    const bom = JSON.parse(cycloneDxSbom(input(DEBIAN))) as {
      specVersion: string;
      metadata: { component: CdxComponent & { hashes: { alg: string; content: string }[] } };
      components: CdxComponent[];
      dependencies: { ref: string; dependsOn?: string[] }[];
    };
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.component.type, 'container');
    assert.equal(bom.metadata.component.version, DIGEST);
    assert.equal(bom.metadata.component.purl, `pkg:oci/app@sha256:${'ab'.repeat(32)}?arch=amd64&repository_url=127.0.0.1:5000%2Fteam%2Fapp`);
    assert.deepEqual(bom.metadata.component.hashes, [{ alg: 'SHA-256', content: 'ab'.repeat(32) }]);
    const os = bom.components.find((component) => component.type === 'operating-system');
    assert.deepEqual([os?.name, os?.version], ['debian', '12']);
    const purls = bom.components.map((component) => component.purl).filter(Boolean).sort();
    assert.deepEqual(purls, [
      'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?distro=debian-12',
      'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12',
      'pkg:npm/%40babel/core@7.24.0',
      'pkg:pypi/django-allauth@0.61.1',
    ]);
    const libssl = bom.components.find((component) => component.name === 'libssl3');
    assert.deepEqual(
      Object.fromEntries((libssl?.properties ?? []).map((property) => [property.name, property.value])),
      { 'ecrscan:package:ecosystem': 'Debian:12', 'ecrscan:package:path': 'var/lib/dpkg/status', 'ecrscan:package:source-name': 'openssl', 'ecrscan:package:source-version': '3.0.15-1~deb12u1' },
    );
    const dependsOn = (ref: string): string[] => bom.dependencies.find((dependency) => dependency.ref === ref)?.dependsOn ?? [];
    assert.deepEqual(dependsOn(DIGEST).sort(), ['os:debian', 'pkg:npm/%40babel/core@7.24.0', 'pkg:pypi/django-allauth@0.61.1']);
    assert.equal(dependsOn('os:debian').length, 2);
  });

  it('lists a package inventoried under two ecosystems once, its rpm epoch as a qualifier', () => {
    const bom = JSON.parse(cycloneDxSbom(input(RHEL))) as { components: CdxComponent[] };
    const libraries = bom.components.filter((component) => component.type === 'library');
    assert.deepEqual(
      libraries.map((component) => component.purl),
      ['pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?distro=rhel-9.4&epoch=1'],
    );
  });
});

describe('SPDX 2.3', () => {
  for (const [label, inventory] of [
    ['Debian with npm and PyPI packages', DEBIAN],
    ['Red Hat', RHEL],
    ['Alpine', ALPINE],
  ] as const) {
    it(`${label}: valid against the SPDX 2.3 JSON schema`, () => {
      assert.deepEqual(spdxErrors(spdxSbom(input(inventory))), []);
    });
  }

  it('describes the image, which contains the OS and the packages with purls, sources and files', () => {
    const document = spdxSbom(input(DEBIAN));
    assert.equal(document.creationInfo.created, '2026-12-07T10:00:00Z');
    const image = document.packages.find((entry) => entry.SPDXID === 'SPDXRef-Image');
    assert.deepEqual(image?.checksums, [{ algorithm: 'SHA256', checksumValue: 'ab'.repeat(32) }]);
    assert.ok(document.relationships.some((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES' && r.relatedSpdxElement === 'SPDXRef-Image'));
    const libssl = document.packages.find((entry) => entry.name === 'libssl3');
    assert.deepEqual(libssl?.externalRefs, [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?distro=debian-12' }]);
    assert.equal(libssl?.sourceInfo, 'built package from: openssl 3.0.15-1~deb12u1');
    assert.equal(libssl?.comment, 'read from var/lib/dpkg/status');
    const contained = document.relationships.filter((r) => r.spdxElementId === 'SPDXRef-Image' && r.relationshipType === 'CONTAINS');
    assert.equal(contained.length, 1 + DEBIAN.packages.length);
  });

  it('an image without an identified OS is still a valid document', () => {
    assert.deepEqual(spdxErrors(spdxSbom(input({ ...DEBIAN, os: null }))), []);
  });
});

describe('SARIF 2.1.0', () => {
  const images = [
    {
      image: IMAGE,
      findings: [
        finding('CVE-2025-15467', 'HIGH'),
        finding('CVE-2025-15467', 'CRITICAL', { package: 'openssl', cvss: { score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }),
        finding('CVE-2025-68160', 'LOW', { fixedVersion: null, uri: null, description: null, path: null }),
      ],
    },
    { image: { name: 'other/app:2', digest: null }, findings: [finding('GHSA-whgm-jr23-g3j9', 'MEDIUM', { package: '@scope/pkg', path: 'srv/app/package-lock.json (lock file only: nothing installed)' })] },
  ];

  it('is valid against the SARIF 2.1.0 schema', () => {
    assert.deepEqual(sarifErrors(sarifLog(images, TOOL)), []);
  });

  it('has one rule per vulnerability with its worst security-severity, a result per package and image', () => {
    const log = sarifLog(images, TOOL);
    const [run] = log.runs;
    assert.deepEqual(
      run.tool.driver.rules.map((rule) => [rule.id, rule.properties['security-severity'], rule.defaultConfiguration.level]),
      [
        ['CVE-2025-15467', '9.8', 'error'],
        ['CVE-2025-68160', '2.0', 'note'],
        ['GHSA-whgm-jr23-g3j9', '5.5', 'warning'],
      ],
    );
    assert.equal(run.results.length, 4);
    for (const result of run.results) assert.equal(run.tool.driver.rules[result.ruleIndex]?.id, result.ruleId);
    assert.deepEqual(
      run.results.map((result) => result.locations[0].physicalLocation.artifactLocation.uri),
      ['var/lib/dpkg/status', 'var/lib/dpkg/status', encodeURI(IMAGE.name), 'srv/app/package-lock.json'],
    );
  });

  it('an empty log is valid too', () => {
    assert.deepEqual(sarifErrors(sarifLog([], TOOL)), []);
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    const csv = findingsCsv([
      {
        image: IMAGE,
        findings: [
          finding('CVE-1', 'HIGH', { description: 'line one\nline two' }),
          finding('CVE-2', 'LOW', { description: '=HYPERLINK("http://x")', package: '@babel/core' }),
        ],
      },
    ]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'image,digest,severity,name,package,version,fixed_version,path,cvss_score,cvss_vector,uri,description,status,first_seen,last_seen');
    assert.ok(csv.includes('"line one\nline two"'));
    assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`));
    assert.ok(csv.includes(',@babel/core,'), 'an npm scoped name is not taken for a formula');
    assert.ok(csv.endsWith('\r\n'));
    assert.equal(parseCsv(csv).length, 3);
    assert.deepEqual(parseCsv(csv).map((row) => row.length), [15, 15, 15]);
  });
});

/** A small RFC 4180 reader, to check that the rows come back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  return rows;
}
