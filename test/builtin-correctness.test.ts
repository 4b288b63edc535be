import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { type AnalysisPool, createAnalysisPool } from '../src/scanners/builtin/analysis/analysis-pool.js';
import { outcomeOf } from '../src/scanners/builtin/builtin-scanner.js';
import { type Inventory, LOCK_ONLY_SUFFIX } from '../src/scanners/builtin/inventory.js';
import { type Advisory, toAdvisory } from '../src/scanners/builtin/osv/advisory.js';
import { createMemoryAdvisoryLookup } from '../src/scanners/builtin/osv/advisory-lookup.js';
import { matchInventory } from '../src/scanners/builtin/osv/matcher.js';
import { checkOsvRecord } from '../src/scanners/builtin/osv/osv-record.js';
import { createRegistryClient, type RegistryClient, type RepositoryRef } from '../src/scanners/builtin/registry/registry-client.js';
import { buildRpmDatabase, dpkgInstallRoot, installNpmTree, pipInstallTarget, pipWorks, toolWorks, warnToolMissing } from './support/ecosystem-packages.js';
import { buildImage, buildLayer, pushImage, type LayerItem, type PushTarget } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

/**
 * Scan correctness end to end: images built here with the ecosystems' own tools (dpkg,
 * rpm, npm, pip), pushed to the reference registry, analysed in the worker pool as the
 * service does, and matched.
 */

const registryInstalled = findRegistryBinary() !== null;
const dpkgInstalled = toolWorks('dpkg-deb', ['--version']) && toolWorks('dpkg', ['--version']);
const rpmInstalled = toolWorks('rpmbuild') && toolWorks('rpm');
const npmInstalled = toolWorks('npm');
const pipInstalled = pipWorks();
if (!registryInstalled) warnRegistryMissing('test/builtin-correctness.test.ts');
if (!dpkgInstalled) warnToolMissing('dpkg', 'apt-get install dpkg', 'the dpkg ownership tests of test/builtin-correctness.test.ts');
if (!rpmInstalled) warnToolMissing('rpm', 'apt-get install rpm', 'the RPM tests of test/builtin-correctness.test.ts');
if (!npmInstalled) warnToolMissing('npm', 'it comes with Node.js', 'the npm whiteout tests of test/builtin-correctness.test.ts');

function advisoryOf(value: unknown): Advisory {
  const checked = checkOsvRecord(value);
  assert.ok(checked.ok, checked.ok ? '' : checked.reason);
  return toAdvisory(checked.record);
}

const fixture = (path: string): Advisory => advisoryOf(JSON.parse(readFileSync(new URL(`./fixtures/osv/${path}`, import.meta.url), 'utf8')));

// Constructed: a PyPI advisory for every requests below 2.31.0, which Debian's patched
// python3-requests must not be reported under.
const REQUESTS_ADVISORY = advisoryOf({
  id: 'GHSA-TEST-REQS',
  modified: '2025-01-01T00:00:00Z',
  aliases: ['CVE-2023-32681'],
  summary: 'requests leaks Proxy-Authorization headers',
  affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.31.0' }] }] }],
});
const ADVISORIES = [REQUESTS_ADVISORY, fixture('npm/GHSA-xvch-5gv4-984h.json'), fixture('npm/GHSA-c2qf-rxjj-qqgw.json')];

const MARINER_OS_RELEASE = 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20240123"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n';
const ROCKY_OS_RELEASE = 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n';

const metadata = (name: string, version: string): string => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;

describe('scan correctness on the reference registry', { skip: !registryInstalled && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let target: PushTarget;
  let client: RegistryClient;
  let pool: AnalysisPool;
  const repo = (repository: string): RepositoryRef => ({ registry: registry.host, repository });

  async function push(repository: string, tag: string, ...layers: LayerItem[][]): Promise<void> {
    const built = [];
    for (const items of layers) built.push(await buildLayer(items));
    await pushImage(target, repository, tag, buildImage(built));
  }

  async function inventoryOf(repository: string, tag: string): Promise<Inventory> {
    const resolved = await client.resolveImage(repo(repository), tag);
    return pool.analyse({ blobs: registryBlobs(client, repo(repository)), layers: resolved.layers }, new AbortController().signal);
  }

  const advisories = createMemoryAdvisoryLookup(ADVISORIES);

  before(async () => {
    registry = await startRegistry();
    target = { url: registry.url };
    client = createRegistryClient({ insecureHosts: [registry.host], retry: { baseDelayMs: 10 } });
    pool = createAnalysisPool({ size: 2, memoryMb: 96 });
  });

  after(async () => {
    await pool?.close();
    await registry?.stop();
  });

  it('leaves out the Python packages a real dpkg database says a Debian package installed, and keeps pip’s', { skip: !(dpkgInstalled && pipInstalled) && 'dpkg or pip missing' }, async () => {
    const root = await dpkgInstallRoot([
      {
        name: 'python3-requests',
        version: '2.28.1+dfsg-1',
        files: { 'usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO': metadata('requests', '2.28.1'), 'usr/lib/python3/dist-packages/requests/__init__.py': '' },
      },
      { name: 'python3-six', version: '1.16.0-4', files: { 'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': metadata('six', '1.16.0') } },
    ]);
    assert.ok(root.some((item) => item.path === 'var/lib/dpkg/info/python3-requests.list'), 'dpkg wrote its file lists');
    const pip = await pipInstallTarget([{ name: 'requests', version: '2.25.0', module: 'requests' }], 'usr/local/lib/python3.11/dist-packages');
    await push('debian/python', '1', [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, ...root], pip);
    const inventory = await inventoryOf('debian/python', '1');
    assert.deepEqual(
      inventory.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.path}`),
      [
        'Debian:12 python3-requests 2.28.1+dfsg-1 var/lib/dpkg/status',
        'Debian:12 python3-six 1.16.0-4 var/lib/dpkg/status',
        'PyPI requests 2.25.0 usr/local/lib/python3.11/dist-packages/requests-2.25.0.dist-info/METADATA',
      ],
    );
    const findings = await matchInventory(inventory, advisories);
    assert.deepEqual(
      findings.map((f) => `${f.name} ${f.package} ${f.version}`),
      ['CVE-2023-32681 requests 2.25.0'],
      'the pip copy is matched, the Debian copy is not',
    );
  });

  it('leaves out Python metadata a real rpm database lists, and counts a distribution with dist-info and egg-info once', { skip: !rpmInstalled && 'rpm missing' }, async () => {
    const database = await buildRpmDatabase([
      {
        name: 'python3-requests',
        version: '2.25.1',
        release: '8.el9',
        installs: [{ path: '/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info', lines: ['Metadata-Version: 2.1', 'Name: requests', 'Version: 2.25.1'] }],
      },
    ]);
    await push(
      'rocky/python',
      '1',
      [{ path: 'etc/os-release', content: ROCKY_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: database }],
      [
        { path: 'usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info', content: metadata('requests', '2.25.1') },
        { path: 'opt/app/site-packages/idna-3.4.dist-info/METADATA', content: metadata('idna', '3.4') },
        { path: 'opt/app/site-packages/idna-3.4-py3.11.egg-info/PKG-INFO', content: metadata('idna', '3.4') },
      ],
    );
    const inventory = await inventoryOf('rocky/python', '1');
    assert.deepEqual(
      inventory.packages.map((p) => `${p.ecosystem} ${p.name} ${p.path}`),
      ['PyPI idna opt/app/site-packages/idna-3.4.dist-info/METADATA', 'Rocky Linux:9 python3-requests var/lib/rpm/rpmdb.sqlite'],
    );
  });

  it('keeps a CBL-Mariner image’s inventory, matches its npm packages, and says its OS packages have no advisory source', { skip: !rpmInstalled && 'rpm missing' }, async () => {
    const database = await buildRpmDatabase([{ name: 'openssl', version: '1.1.1k', release: '29.cm2', filesPerPackage: 1 }]);
    await push(
      'mariner/app',
      '2.0',
      [{ path: 'etc/os-release', content: MARINER_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: database }],
      [{ path: 'srv/app/node_modules/minimist/package.json', content: JSON.stringify({ name: 'minimist', version: '1.2.5' }) }],
    );
    const inventory = await inventoryOf('mariner/app', '2.0');
    assert.deepEqual(inventory.packages.map((p) => `${p.ecosystem} ${p.name}`), ['CBL-Mariner:2.0 openssl', 'npm minimist']);
    const outcome = outcomeOf(inventory, await matchInventory(inventory, advisories));
    assert.equal(outcome.status, 'NO_ADVISORY_SOURCE');
    assert.equal(outcome.error, 'no advisory source for CBL-Mariner 2.0: its 1 packages (var/lib/rpm/rpmdb.sqlite) are inventoried but not matched');
    assert.deepEqual(outcome.unsettledPaths, ['var/lib/rpm/rpmdb.sqlite']);
    assert.deepEqual(outcome.findings.map((f) => `${f.package} ${f.version}`), ['minimist 1.2.5'], 'its language packages are still matched');
  });

  describe('npm', { skip: !npmInstalled && 'npm missing' }, () => {
    it('reports what npm installed, not a lock entry whose folder a later layer whited out', async () => {
      const tree = await installNpmTree(['minimist@1.2.5', 'semver@6.3.0'], 'srv/app');
      assert.ok(tree.items.some((item) => item.path === 'srv/app/package-lock.json'));
      await push('node/whiteout', '1', [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }], tree.items, [{ path: 'srv/app/node_modules/.wh.minimist', content: '' }]);
      const inventory = await inventoryOf('node/whiteout', '1');
      assert.deepEqual(
        inventory.packages.map((p) => `${p.name}@${p.version} ${p.path}`),
        ['semver@6.3.0 srv/app/node_modules/semver/package.json'],
      );
      const findings = await matchInventory(inventory, advisories);
      assert.deepEqual([...new Set(findings.map((f) => f.package))], ['semver'], 'no finding for the removed minimist');
    });

    it('reports a lock file’s entries where nothing is installed, and says so in their path', async () => {
      const tree = await installNpmTree(['minimist@1.2.5'], 'srv/app');
      const lock = tree.items.find((item) => item.path === 'srv/app/package-lock.json');
      assert.ok(lock);
      await push('node/lock-only', '1', [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, lock]);
      const inventory = await inventoryOf('node/lock-only', '1');
      assert.deepEqual(inventory.packages.map((p) => `${p.name}@${p.version} ${p.path}`), [`minimist@1.2.5 srv/app/package-lock.json${LOCK_ONLY_SUFFIX}`]);
    });
  });
});
