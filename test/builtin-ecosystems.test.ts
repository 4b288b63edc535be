import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Finding } from '../src/domain/finding.js';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { type Inventory, LOCK_ONLY_SUFFIX } from '../src/scanners/builtin/inventory.js';
import { type Advisory, toAdvisory } from '../src/scanners/builtin/osv/advisory.js';
import { createMemoryAdvisoryLookup } from '../src/scanners/builtin/osv/advisory-lookup.js';
import { matchInventory } from '../src/scanners/builtin/osv/matcher.js';
import { checkOsvRecord } from '../src/scanners/builtin/osv/osv-record.js';
import { createRegistryClient, type RegistryClient, type RepositoryRef } from '../src/scanners/builtin/registry/registry-client.js';
import {
  buildRpmDatabase,
  installNpmTree,
  pipInstallTarget,
  pipWorks,
  toolWorks,
  warnToolMissing,
  type NpmTree,
} from './support/ecosystem-packages.js';
import { buildImage, buildLayer, pushImage, type LayerItem, type PushTarget } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, FEDORA_39_OS_RELEASE } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

const registryInstalled = findRegistryBinary() !== null;
const rpmInstalled = toolWorks('rpmbuild') && toolWorks('rpm');
const npmInstalled = toolWorks('npm');
const pipInstalled = pipWorks();
if (!registryInstalled) warnRegistryMissing('test/builtin-ecosystems.test.ts');
if (!rpmInstalled) warnToolMissing('rpm', 'apt-get install rpm', 'the RPM image tests of test/builtin-ecosystems.test.ts');
if (!npmInstalled) warnToolMissing('npm', 'it comes with Node.js', 'the npm image tests of test/builtin-ecosystems.test.ts');
if (!pipInstalled) warnToolMissing('python3 with pip', 'apt-get install python3-pip', 'the Python image tests of test/builtin-ecosystems.test.ts');

const FIXTURES = new URL('./fixtures/osv/', import.meta.url);

function advisoryOf(value: unknown): Advisory {
  const checked = checkOsvRecord(value);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  return toAdvisory(checked.record);
}

function fixture(path: string): Advisory {
  return advisoryOf(JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')));
}

const NPM_ADVISORIES = ['npm/GHSA-xvch-5gv4-984h.json', 'npm/GHSA-c2qf-rxjj-qqgw.json', 'npm/GHSA-35jh-r3h4-6jhm.json', 'npm/GHSA-p8p7-x288-28g6.json'].map(fixture);
const PYPI_ADVISORIES = ['pypi/GHSA-v845-jxx5-vc9f.json', 'pypi/GHSA-w596-4wvx-j9j6.json', 'pypi/GHSA-8q59-q68h-6hv4.json'].map(fixture);

// Constructed, not published: shaped like the Rocky Linux (RLSA) and Red Hat (RHSA) records
// osv.dev serves — binary package names, `epoch:version-release` versions, the release or
// product stream in the ecosystem.
const RPM_ADVISORIES = [
  advisoryOf({
    id: 'RLSA-TEST-0001',
    modified: '2025-01-01T00:00:00Z',
    upstream: ['CVE-2023-0464'],
    summary: 'Moderate: openssl security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [
      { package: { ecosystem: 'Rocky Linux:9', name: 'openssl-libs' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-17.el9_2' }] }] },
      { package: { ecosystem: 'Rocky Linux:9', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-17.el9_2' }] }] },
    ],
  }),
  advisoryOf({
    id: 'RLSA-TEST-0002',
    modified: '2025-01-01T00:00:00Z',
    upstream: ['CVE-2022-3715'],
    summary: 'Moderate: bash security update',
    affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'bash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0:5.1.8-6.el9_1' }] }] }],
  }),
  advisoryOf({
    id: 'RHSA-TEST-0003',
    modified: '2025-01-01T00:00:00Z',
    upstream: ['CVE-2024-0001'],
    summary: 'Important: tzdata-like update',
    affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'tzdata' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0:2024a-1.el9' }] }] }],
  }),
];

const ROCKY_93_OS_RELEASE = `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
`;

const RHEL_94_OS_RELEASE = `NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
`;

function summary(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.package} ${f.version} ${f.name} fixed:${f.fixedVersion ?? '-'} ${f.severity}`).sort();
}

describe('built-in scanner: RPM, npm and Python images from the real registry', { skip: !registryInstalled && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let target: PushTarget;
  let client: RegistryClient;
  let rpmDatabase: Buffer | null = null;
  let npmTree: NpmTree | null = null;
  const repo = (repository: string): RepositoryRef => ({ registry: registry.host, repository });

  async function push(repository: string, tag: string, ...layers: LayerItem[][]): Promise<void> {
    const built = [];
    for (const items of layers) built.push(await buildLayer(items));
    await pushImage(target, repository, tag, buildImage(built));
  }

  async function inventoryOf(repository: string, tag: string): Promise<Inventory> {
    const resolved = await client.resolveImage(repo(repository), tag);
    return analyseImage({ blobs: registryBlobs(client, repo(repository)), layers: resolved.layers });
  }

  before(async () => {
    registry = await startRegistry();
    target = { url: registry.url };
    client = createRegistryClient({ insecureHosts: [registry.host], retry: { baseDelayMs: 10 } });
    // The tools run side by side: npm and pip spend most of their time starting up.
    await Promise.all([rpmInstalled && pushRpmImages(), npmInstalled && pushNpmImages(), pipInstalled && pushPythonImages()]);
    await pushHostileImages();
  });

  after(async () => {
    await registry?.stop();
  });

  async function pushRpmImages(): Promise<void> {
    rpmDatabase = await buildRpmDatabase([
      { name: 'openssl', epoch: 1, version: '3.0.7', release: '16.el9_2', subpackages: ['openssl-libs'], filesPerPackage: 3 },
      { name: 'bash', version: '5.1.8', release: '6.el9_1', filesPerPackage: 2 },
      { name: 'tzdata', version: '2023c', release: '1.el9' },
    ]);
    const db = rpmDatabase;
    await push('rocky/app', '9.3', [{ path: 'etc/os-release', content: ROCKY_93_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: db }]);
    await push('ubi/app', '9.4', [{ path: 'etc/os-release', content: RHEL_94_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: db }]);
    // Fedora's layout: the database under /usr/lib/sysimage, /var/lib/rpm a link to it.
    await push('fedora/app', '39', [
      { path: 'etc/os-release', content: FEDORA_39_OS_RELEASE },
      { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: db },
      { path: 'var/lib/rpm', symlink: '../../usr/lib/sysimage/rpm' },
    ]);
  }

  async function pushNpmImages(): Promise<void> {
    npmTree = await installNpmTree(
      ['minimist@1.2.5', 'mkdirp@0.5.1', 'semver@6.3.0', 'lodash@4.17.21', 'lodash.template@4.5.0', '@isaacs/string-locale-compare@1.1.0'],
      'srv/app',
    );
    const locks: LayerItem[] = [1, 2, 3].map((version) => ({ path: `srv/lock-v${version}/package-lock.json`, content: npmTree?.locks[version as 1 | 2 | 3] ?? '' }));
    await push('node/app', '1', [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }], npmTree.items, locks);
  }

  async function pushPythonImages(): Promise<void> {
    const site = await pipInstallTarget(
      [
        { name: 'urllib3', version: '1.26.5', module: 'urllib3' },
        { name: 'py', version: '1.11.0', module: 'py' },
        { name: 'PyYAML', version: '5.3.1', module: 'yaml' },
        { name: 'requests', version: '2.31.0', module: 'requests' },
      ],
      'usr/local/lib/python3.11/site-packages',
    );
    await push('python/app', '3.11', [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }], site);
  }

  /** Bad input: each spoils one analyser, the rest of the image is still analysed. */
  async function pushHostileImages(): Promise<void> {
    const os = { path: 'etc/os-release', content: ROCKY_93_OS_RELEASE };
    const goodNpm = { path: 'app/node_modules/ok/package.json', content: '{"name":"ok","version":"1.0.0"}' };
    if (rpmDatabase) {
      const truncated = rpmDatabase.subarray(0, Math.floor(rpmDatabase.length / 2));
      await push('hostile/rpm', 'truncated', [os, goodNpm, { path: 'var/lib/rpm/rpmdb.sqlite', content: truncated }]);
      await push('hostile/rpm', 'corrupt-header', [os, goodNpm, { path: 'var/lib/rpm/rpmdb.sqlite', content: withCorruptHeader(rpmDatabase) }]);
    }
    await push('hostile/rpm', 'berkeleydb', [os, goodNpm, { path: 'var/lib/rpm/Packages', content: Buffer.alloc(4096) }]);

    const deep = `app/${'node_modules/a/'.repeat(200)}package.json`;
    await push('hostile/npm', 'tree', [
      os,
      goodNpm,
      { path: deep, content: '{"name":"a","version":"1.0.0"}' },
      { path: 'app/node_modules/broken/package.json', content: '{"name": "broken", "version": ' },
      { path: 'app/node_modules/cycle', symlink: '../node_modules' },
      { path: 'app/node_modules/ok/node_modules/up', symlink: '../../..' },
      { path: 'app/node_modules/self', symlink: 'self' },
      { path: 'app/package-lock.json', content: '{"lockfileVersion": 9}' },
    ]);
    // A lock file of a project with nothing installed: the analyser has to read it.
    await push('hostile/npm', 'huge-lock', [os, goodNpm, { path: 'tool/package-lock.json', zeros: 300 * 1024 * 1024 }]);

    const metadata = (name: string): string => `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n\n`;
    await push('hostile/python', 'encodings', [
      os,
      { path: 'usr/lib/python3.11/site-packages/utf16-1.0.dist-info/METADATA', content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(metadata('utf16'), 'utf16le')]) },
      { path: 'usr/lib/python3.11/site-packages/latin1-1.0.dist-info/METADATA', content: Buffer.from(`${metadata('latin1').trimEnd()}\nAuthor: Fran\xe7ois\n\n`, 'latin1') },
      { path: 'usr/lib/python3.11/site-packages/binary-1.0.dist-info/METADATA', content: Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0x3a, 0x00, 0xff, 0xfe, 0x00]) },
    ]);
  }

  describe('RPM', { skip: !rpmInstalled && 'rpm not installed' }, () => {
    it('inventories a real rpm SQLite database of a Rocky Linux image, with epochs, sources and the file', async () => {
      const inventory = await inventoryOf('rocky/app', '9.3');
      assert.deepEqual(inventory.unsupported, []);
      assert.deepEqual(
        inventory.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.sourceName} ${p.path}`),
        [
          'Rocky Linux:9 bash 5.1.8-6.el9_1 bash var/lib/rpm/rpmdb.sqlite',
          'Rocky Linux:9 openssl 1:3.0.7-16.el9_2 openssl var/lib/rpm/rpmdb.sqlite',
          'Rocky Linux:9 openssl-libs 1:3.0.7-16.el9_2 openssl var/lib/rpm/rpmdb.sqlite',
          'Rocky Linux:9 tzdata 2023c-1.el9 tzdata var/lib/rpm/rpmdb.sqlite',
        ],
      );
      assert.equal(inventory.analysers.rpm, '3');
    });

    it('matches the packages with RPM version ordering: an epoch-less fix equals epoch 0', async () => {
      const findings = await matchInventory(await inventoryOf('rocky/app', '9.3'), createMemoryAdvisoryLookup(RPM_ADVISORIES));
      assert.deepEqual(summary(findings), [
        'openssl 1:3.0.7-16.el9_2 CVE-2023-0464 fixed:1:3.0.7-17.el9_2 HIGH',
        'openssl-libs 1:3.0.7-16.el9_2 CVE-2023-0464 fixed:1:3.0.7-17.el9_2 HIGH',
      ], 'bash 5.1.8-6.el9_1 is the fixed version (0:5.1.8-6.el9_1)');
    });

    it('matches a Red Hat image against the product stream that ships each package', async () => {
      const inventory = await inventoryOf('ubi/app', '9.4');
      assert.ok(inventory.packages.some((p) => p.ecosystem === 'Red Hat:enterprise_linux:9::baseos'));
      const findings = await matchInventory(inventory, createMemoryAdvisoryLookup(RPM_ADVISORIES));
      assert.deepEqual(summary(findings), ['tzdata 2023c-1.el9 CVE-2024-0001 fixed:0:2024a-1.el9 UNDEFINED']);
    });

    it('finds Fedora’s database through /var/lib/rpm linking to /usr/lib/sysimage, keeps its packages and says Fedora has no OSV data', async () => {
      const inventory = await inventoryOf('fedora/app', '39');
      assert.deepEqual(inventory.packages.map((p) => `${p.ecosystem} ${p.name}`), ['Fedora:39 bash', 'Fedora:39 openssl', 'Fedora:39 openssl-libs', 'Fedora:39 tzdata']);
      assert.deepEqual(inventory.advisoryGaps, [{ distribution: 'Fedora 39', ecosystem: 'Fedora:39', path: 'var/lib/rpm/rpmdb.sqlite', packages: 4 }]);
      assert.deepEqual(inventory.unsupported, []);
    });

    it('fails the RPM analysis of a truncated database, and still reports the image’s npm packages', async () => {
      const inventory = await inventoryOf('hostile/rpm', 'truncated');
      assert.deepEqual(inventory.packages.map((p) => `${p.ecosystem} ${p.name}`), ['npm ok']);
      assert.equal(inventory.unsupported.length, 1);
      assert.match(inventory.unsupported[0] ?? '', /^RPM packages are not reported: var\/lib\/rpm\/rpmdb\.sqlite is not a readable RPM SQLite database: it is truncated/);
    });

    it('fails the RPM analysis of a database with a corrupt header blob', async () => {
      const inventory = await inventoryOf('hostile/rpm', 'corrupt-header');
      assert.deepEqual(inventory.packages.map((p) => p.name), ['ok']);
      assert.match(inventory.unsupported[0] ?? '', /^RPM packages are not reported: var\/lib\/rpm\/rpmdb\.sqlite, package 1, is a corrupt RPM header: /);
    });
  });

  it('fails the RPM analysis of a BerkeleyDB Packages that is not one, never reporting the image clean', async () => {
    const inventory = await inventoryOf('hostile/rpm', 'berkeleydb');
    assert.deepEqual(inventory.packages.map((p) => p.name), ['ok']);
    assert.deepEqual(inventory.unsupported, [
      'RPM packages are not reported: var/lib/rpm/Packages is not a readable RPM BerkeleyDB database: it does not start with a BerkeleyDB metadata page (no hash magic number)',
    ]);
  });

  describe('npm', { skip: !npmInstalled && 'npm not installed' }, () => {
    it('inventories a node_modules tree npm installed, nested copies included, and its lock files of every version', async () => {
      const inventory = await inventoryOf('node/app', '1');
      assert.deepEqual(inventory.unsupported, []);
      const installed = inventory.packages.filter((p) => p.path.includes('node_modules/')).map((p) => `${p.name}@${p.version} ${p.path}`);
      assert.deepEqual(installed.sort(), [
        '@isaacs/string-locale-compare@1.1.0 srv/app/node_modules/@isaacs/string-locale-compare/package.json',
        'lodash._reinterpolate@3.0.0 srv/app/node_modules/lodash._reinterpolate/package.json',
        'lodash.template@4.5.0 srv/app/node_modules/lodash.template/package.json',
        'lodash.templatesettings@4.2.0 srv/app/node_modules/lodash.templatesettings/package.json',
        'lodash@4.17.21 srv/app/node_modules/lodash/package.json',
        'minimist@0.0.8 srv/app/node_modules/mkdirp/node_modules/minimist/package.json',
        'minimist@1.2.5 srv/app/node_modules/minimist/package.json',
        'mkdirp@0.5.1 srv/app/node_modules/mkdirp/package.json',
        'semver@6.3.0 srv/app/node_modules/semver/package.json',
      ]);
      const fromInstall = new Set(installed.map((line) => line.split(' ')[0]));
      // The installed project's own lock adds nothing: what is installed wins.
      assert.ok(!inventory.packages.some((p) => p.path.startsWith('srv/app/package-lock.json')));
      for (const lock of ['srv/lock-v1/package-lock.json', 'srv/lock-v2/package-lock.json', 'srv/lock-v3/package-lock.json']) {
        const locked = new Set(inventory.packages.filter((p) => p.path === `${lock}${LOCK_ONLY_SUFFIX}`).map((p) => `${p.name}@${p.version}`));
        assert.deepEqual(locked, fromInstall, lock);
      }
    });

    it('matches them against GitHub advisories: several ranges, a nested vulnerable copy, last_affected', async () => {
      const inventory = await inventoryOf('node/app', '1');
      const nested = inventory.packages.filter((p) => p.name === 'minimist' && p.path.endsWith('package.json'));
      assert.deepEqual(nested.map((p) => p.version).sort(), ['0.0.8', '1.2.5'], 'both copies are inventoried; each is affected through another range');
      const findings = await matchInventory(inventory, createMemoryAdvisoryLookup(NPM_ADVISORIES));
      assert.deepEqual(
        findings.map((f) => `${f.package} ${f.name} fixed:${f.fixedVersion ?? '-'} ${f.severity} ${f.cvss?.score}`).sort(),
        [
          'lodash.template CVE-2021-23337 fixed:- HIGH 7.2',
          'minimist CVE-2021-44906 fixed:1.2.6 CRITICAL 9.8',
          'semver CVE-2022-25883 fixed:6.3.1 HIGH 7.5',
        ],
        'lodash 4.17.21 is fixed; mkdirp and @isaacs/string-locale-compare have no advisory',
      );
      const minimist = findings.find((f) => f.package === 'minimist');
      assert.equal(minimist?.version, '1.2.5', 'a vulnerability is reported once per package name');
      assert.deepEqual(minimist?.aliases, ['GHSA-xvch-5gv4-984h']);
      assert.equal(minimist?.uri, 'https://nvd.nist.gov/vuln/detail/CVE-2021-44906');
      // The nested copy, on its own, is affected through the advisory's other range.
      const nestedOnly = { ...inventory, packages: inventory.packages.filter((p) => p.path.includes('mkdirp/node_modules/minimist')) };
      assert.deepEqual(summary(await matchInventory(nestedOnly, createMemoryAdvisoryLookup(NPM_ADVISORIES))), ['minimist 0.0.8 CVE-2021-44906 fixed:0.2.4 CRITICAL']);
    });

    it('still reports the good packages of a tree with deep nesting, cyclic links, a broken manifest and a bad lock file', async () => {
      const started = Date.now();
      const inventory = await inventoryOf('hostile/npm', 'tree');
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.path}`), ['ok app/node_modules/ok/package.json']);
      const notes = [...inventory.unsupported].sort();
      // The bad lock file is not read: the project has an installed tree, and that wins.
      assert.equal(notes.length, 2);
      assert.equal(notes[0], `npm: ${`app/${'node_modules/a/'.repeat(200)}`.slice(0, 200)}: node_modules nested 200 deep, more than 64 (left out)`, 'the path shortened');
      assert.match(notes[1] ?? '', /^npm: app\/node_modules\/broken\/package\.json: not valid JSON \(.+\) \(left out\)$/);
    });

    it('fails only the npm analyser on a lock file of hundreds of MiB, in bounded time and memory, and scans the next image', async () => {
      const before = process.memoryUsage().rss;
      const started = Date.now();
      const inventory = await inventoryOf('hostile/npm', 'huge-lock');
      assert.equal(inventory.os?.id, 'rocky', 'the rest of the image is read');
      assert.deepEqual(inventory.packages, []);
      assert.deepEqual(inventory.unsupported, ['npm packages are not reported: tool/package-lock.json is 300 MiB, larger than the 64 MiB read per file']);
      assert.ok(Date.now() - started < 15_000);
      assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024);
      assert.ok((await inventoryOf('hostile/rpm', 'berkeleydb')).packages.length === 1);
    });
  });

  describe('Python', { skip: !pipInstalled && 'python3 with pip not installed' }, () => {
    it('inventories the dist-info directories pip installed, names normalised as PEP 503 says', async () => {
      const inventory = await inventoryOf('python/app', '3.11');
      assert.deepEqual(inventory.unsupported, []);
      assert.deepEqual(
        inventory.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.path}`),
        [
          'PyPI py 1.11.0 usr/local/lib/python3.11/site-packages/py-1.11.0.dist-info/METADATA',
          'PyPI pyyaml 5.3.1 usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA',
          'PyPI requests 2.31.0 usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA',
          'PyPI urllib3 1.26.5 usr/local/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA',
        ],
      );
    });

    it('matches them against GitHub advisories: two ranges, last_affected, a record naming PyYAML', async () => {
      const findings = await matchInventory(await inventoryOf('python/app', '3.11'), createMemoryAdvisoryLookup(PYPI_ADVISORIES));
      assert.deepEqual(summary(findings), [
        'py 1.11.0 CVE-2022-42969 fixed:- MEDIUM',
        'pyyaml 5.3.1 CVE-2020-14343 fixed:5.4 CRITICAL',
        'urllib3 1.26.5 CVE-2023-43804 fixed:1.26.17 MEDIUM',
      ]);
      const published = JSON.parse(readFileSync(new URL('pypi/GHSA-8q59-q68h-6hv4.json', FIXTURES), 'utf8')) as { affected: Array<{ package: { name: string } }> };
      assert.equal(published.affected[0]?.package.name, 'PyYAML', 'the record as published names the project PyYAML');
    });

    it('reads METADATA in odd encodings and notes the one that is not text', async () => {
      const inventory = await inventoryOf('hostile/python', 'encodings');
      assert.deepEqual(inventory.packages.map((p) => `${p.name} ${p.version}`), ['latin1 1.0', 'utf16 1.0']);
      assert.deepEqual(inventory.unsupported, ['Python: usr/lib/python3.11/site-packages/binary-1.0.dist-info/METADATA: it holds NUL bytes, not text (left out)']);
    });
  });
});

/** The real database with its first package's header blob cut short, as a damaged disk might leave it. */
function withCorruptHeader(database: Buffer): Buffer {
  const copy = Buffer.from(database);
  copy[18] = 1;
  copy[19] = 1;
  const db = new Database(copy);
  try {
    db.prepare('UPDATE Packages SET blob = substr(blob, 1, 40) WHERE hnum = (SELECT min(hnum) FROM Packages)').run();
    return db.serialize();
  } finally {
    db.close();
  }
}
