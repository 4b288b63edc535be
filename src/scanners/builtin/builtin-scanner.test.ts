import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { systemClock } from '../../clock.js';
import type { ScanConfig } from '../../domain/scan-config.js';
import { migrateToLatest } from '../../store/kysely-store.js';
import { openSqlite } from '../../store/sqlite/open-sqlite.js';
import type { Database } from '../../store/tables.js';
import { ScanError } from '../scanner.js';
import { createAdvisoryReadiness, NO_SOURCES_MESSAGE } from './advisory-readiness.js';
import { PACKAGE_ANALYSERS, analyserVersions } from './analysers/registry.js';
import { createBuiltinScanner, filesWithoutAdvisoryData } from './builtin-scanner.js';
import { repositoryOf } from './image-list.js';
import { createInventoryCache } from './inventory-cache.js';
import type { Inventory, InstalledPackage } from './inventory.js';
import { importOsvSources } from './osv/osv-importer.js';
import type { RegistryClient, RepositoryRef } from './registry/registry-client.js';
import { RegistryError } from './registry/registry-error.js';

const DEBIAN_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/osv/debian-12/', import.meta.url));
const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'2'.repeat(64)}`;

/**
 * A registry behind the client's own interface: tags and digests in memory, every call
 * recorded, and no image content at all, so that a test fails loudly if a scan that
 * should need no download asks for one.
 */
function recordingClient(tags: Record<string, string>) {
  const calls: string[] = [];
  const client: RegistryClient = {
    async listRepositories(registry) {
      calls.push(`listRepositories ${registry}`);
      throw new RegistryError('unsupported', 'this registry lists no repositories');
    },
    async imageCreated(_repo, digest) {
      calls.push(`imageCreated ${digest}`);
      throw new RegistryError('unavailable', 'this registry serves no image configurations');
    },
    async listTags(repo: RepositoryRef) {
      calls.push(`listTags ${repo.registry}/${repo.repository}`);
      return Object.keys(tags);
    },
    async resolveDigest(_repo, reference) {
      calls.push(`resolveDigest ${reference}`);
      const digest = tags[reference];
      if (!digest) throw new RegistryError('not-found', `manifest ${reference} not found`, 404);
      return digest;
    },
    async resolveImage(_repo, reference) {
      calls.push(`resolveImage ${reference}`);
      throw new RegistryError('unavailable', 'this registry serves no images');
    },
    async openBlob(_repo, digest) {
      calls.push(`openBlob ${digest}`);
      throw new RegistryError('unavailable', 'this registry serves no blobs');
    },
  };
  return { client, calls };
}

function config(overrides: Partial<ScanConfig> = {}): ScanConfig {
  return {
    id: 'c1',
    created: new Date(0),
    region: null,
    registry: 'registry.test:5000',
    repository: 'team/app',
    tags: null,
    schedule: null,
    scanner: 'builtin',
    platform: null,
    ...overrides,
  };
}

function dpkg(name: string, version: string, sourceName = name): InstalledPackage {
  return { ecosystem: 'Debian:12', name, version, sourceName, sourceVersion: version, path: 'var/lib/dpkg/status' };
}

const versions = analyserVersions(PACKAGE_ANALYSERS);
const DEBIAN_OS = { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' };

describe('repositoryOf', () => {
  it('reaches an account-id registry at its ECR host and keeps any other host as written', () => {
    assert.deepEqual(repositoryOf(config({ registry: '123456789012', region: 'eu-west-1' })), {
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'team/app',
    });
    assert.equal(repositoryOf(config({ registry: '123456789012', region: 'cn-north-1' })).registry, '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
    assert.equal(repositoryOf(config({ registry: 'ghcr.io' })).registry, 'ghcr.io');
  });
});

describe('the built-in scanner', () => {
  let db: Kysely<Database>;
  let work: string;
  const signal = new AbortController().signal;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'builtin-scanner-'));
  });
  after(() => rm(work, { recursive: true, force: true }));
  beforeEach(async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
  });
  afterEach(() => db.destroy());

  async function cacheInventory(inventory: Inventory, digest = DIGEST): Promise<void> {
    await createInventoryCache(db, { clock: systemClock }).put({ digest, platform: 'linux/amd64', analysers: versions }, digest, inventory);
  }

  async function importFixtures(): Promise<void> {
    const outcomes = await importOsvSources(db, [DEBIAN_FIXTURES], { dataDir: work });
    assert.ok(outcomes.every((outcome) => outcome.ok));
  }

  describe('listImages', () => {
    const tags = { '1.0': DIGEST, '1.1': DIGEST, '2.0': OTHER_DIGEST, latest: OTHER_DIGEST };

    it('lists every tag with its digest when no tags are configured, tags sharing a digest each', async () => {
      const { client } = recordingClient(tags);
      const scanner = createBuiltinScanner({ db, client });
      assert.deepEqual(await scanner.listImages(config(), signal), {
        images: [
          { tag: '1.0', digest: DIGEST },
          { tag: '1.1', digest: DIGEST },
          { tag: '2.0', digest: OTHER_DIGEST },
          { tag: 'latest', digest: OTHER_DIGEST },
        ],
        missingTags: [],
      });
    });

    it('expands globs against the tag list and reports exact tags the repository lacks', async () => {
      const { client, calls } = recordingClient(tags);
      const scanner = createBuiltinScanner({ db, client });
      assert.deepEqual(await scanner.listImages(config({ tags: ['1.*', 'latest', 'gone'] }), signal), {
        images: [
          { tag: '1.0', digest: DIGEST },
          { tag: '1.1', digest: DIGEST },
          { tag: 'latest', digest: OTHER_DIGEST },
        ],
        missingTags: ['gone'],
      });
      assert.equal(calls.filter((call) => call.startsWith('listTags')).length, 1);
    });

    it('resolves exact tags without reading the tag list', async () => {
      const { client, calls } = recordingClient(tags);
      const scanner = createBuiltinScanner({ db, client });
      await scanner.listImages(config({ tags: ['2.0'] }), signal);
      assert.deepEqual(calls, ['resolveDigest 2.0']);
    });

    it('resolves no more tags than the image cap, exact ones first, and reports the rest', async () => {
      const { client, calls } = recordingClient(tags);
      const scanner = createBuiltinScanner({ db, client });
      const listed = await scanner.listImages(config({ tags: ['latest', '1.*', '2.*'] }), signal, 2);
      assert.deepEqual(listed.images, [
        { tag: '1.0', digest: DIGEST },
        { tag: 'latest', digest: OTHER_DIGEST },
      ]);
      assert.deepEqual(listed.leftOut, { count: 2, examples: ['1.1', '2.0'] });
      assert.deepEqual(calls.filter((call) => call.startsWith('resolveDigest')).sort(), ['resolveDigest 1.0', 'resolveDigest latest']);
    });

    it('fails a registry that is no valid host[:port] as a configuration error, not an internal one', async () => {
      const scanner = createBuiltinScanner({ db, registry: { retry: { attempts: 1 } } });
      await assert.rejects(scanner.listImages(config({ registry: 'registry.example:99999' }), signal), (err: unknown) => {
        assert.ok(err instanceof RegistryError && err.kind === 'configuration', String(err));
        assert.equal(err.message, 'registry registry.example:99999 is not a valid host[:port]');
        return true;
      });
    });
  });

  describe('scanImage', () => {
    it('fails, never reports clean, when there are no advisories, before contacting the registry', async () => {
      const { client, calls } = recordingClient({});
      const scanner = createBuiltinScanner({ db, client, readiness: createAdvisoryReadiness(db, { sources: [], importNow: () => null }) });
      await assert.rejects(scanner.scanImage(config(), { tag: 'latest', digest: DIGEST }, signal), (err: unknown) => {
        assert.ok(err instanceof ScanError);
        assert.equal(err.status, 'FAILED');
        assert.equal(err.message, NO_SOURCES_MESSAGE);
        return true;
      });
      assert.deepEqual(calls, []);
    });

    it('waits for the import under way, once for every scan waiting, then matches', async () => {
      await cacheInventory({ os: DEBIAN_OS, packages: [dpkg('tar', '1.34+dfsg-1.2')], analysers: versions, unsupported: [], unsettled: [], advisoryGaps: [] });
      let imports = 0;
      const readiness = createAdvisoryReadiness(db, {
        sources: [DEBIAN_FIXTURES],
        importNow: () => {
          imports++;
          return importFixtures();
        },
      });
      const { client, calls } = recordingClient({});
      const scanner = createBuiltinScanner({ db, client, readiness });
      const outcomes = await Promise.all([1, 2, 3].map(() => scanner.scanImage(config(), { tag: 'latest', digest: DIGEST }, signal)));
      assert.equal(imports, 1);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'COMPLETE');
        assert.deepEqual(
          outcome.findings.map((finding) => [finding.name, finding.package, finding.fixedVersion]),
          [
            ['CVE-2022-48303', 'tar', '1.34+dfsg-1.2+deb12u1'],
            ['CVE-2023-39804', 'tar', '1.34+dfsg-1.2+deb12u1'],
          ],
        );
      }
      assert.deepEqual(calls, [], 'the stored inventory was used: nothing asked of the registry');
    });

    it('fails with a readable error when the sources import nothing', async () => {
      const readiness = createAdvisoryReadiness(db, { sources: ['/nowhere'], importNow: async () => [] });
      const scanner = createBuiltinScanner({ db, client: recordingClient({}).client, readiness });
      await assert.rejects(scanner.scanImage(config(), { tag: 'latest', digest: DIGEST }, signal), (err: unknown) => {
        assert.ok(err instanceof ScanError);
        assert.equal(err.retryable, true);
        assert.match(err.message, /^no advisory data: the sources of ECRSCAN_OSV_SOURCES could not be imported/);
        return true;
      });
    });

    it('reports an image of which nothing could be analysed as UNSUPPORTED_IMAGE, from the stored inventory too', async () => {
      await importFixtures();
      const notes = ['RPM package database (var/lib/rpm/rpmdb.sqlite) is not analysed yet: its packages are not reported'];
      await cacheInventory({ os: { id: 'fedora', versionId: '39', prettyName: null }, packages: [], analysers: versions, unsupported: notes, unsettled: [], advisoryGaps: [] });
      const { client, calls } = recordingClient({});
      const scanner = createBuiltinScanner({ db, client });
      await assert.rejects(scanner.scanImage(config(), { tag: '39', digest: DIGEST }, signal), (err: unknown) => {
        assert.ok(err instanceof ScanError);
        assert.equal(err.status, 'UNSUPPORTED_IMAGE');
        assert.equal(err.message, `image not analysed: ${notes[0]}`);
        return true;
      });
      assert.deepEqual(calls, []);
    });

    it('reports what it found when part of the image could not be read, and logs the rest', async () => {
      await importFixtures();
      const notes = ['RPM package database (usr/lib/sysimage/rpm/rpmdb.sqlite) is not analysed yet: its packages are not reported'];
      await cacheInventory({ os: DEBIAN_OS, packages: [dpkg('zlib1g', '1:1.2.11.dfsg-4', 'zlib')], analysers: versions, unsupported: notes, unsettled: [], advisoryGaps: [] });
      const logged: unknown[] = [];
      const logger = { debug: () => undefined, warn: () => undefined, info: (fields: unknown) => void logged.push(fields) };
      const scanner = createBuiltinScanner({ db, client: recordingClient({}).client, logger });
      const outcome = await scanner.scanImage(config(), { tag: 'latest', digest: DIGEST }, signal);
      assert.equal(outcome.status, 'COMPLETE');
      assert.deepEqual(outcome.findings.map((finding) => [finding.name, finding.package, finding.version]), [['CVE-2022-37434', 'zlib1g', '1:1.2.11.dfsg-4']]);
      assert.deepEqual(logged, [{ repository: 'team/app', tag: 'latest', digest: DIGEST, notes }]);
    });

    it('takes the inventory again for another platform of the same digest', async () => {
      await importFixtures();
      await cacheInventory({ os: DEBIAN_OS, packages: [dpkg('tar', '1.34+dfsg-1.2')], analysers: versions, unsupported: [], unsettled: [], advisoryGaps: [] });
      const { client, calls } = recordingClient({});
      const scanner = createBuiltinScanner({ db, client });
      await assert.rejects(scanner.scanImage(config({ platform: 'linux/arm64' }), { tag: 'latest', digest: DIGEST }, signal), /serves no images/);
      assert.deepEqual(calls, [`resolveImage ${DIGEST}`]);
    });
  });
});

describe('files without advisory data', () => {
  it('names the files of packages whose ecosystem no stored record names, leaving out distributions already known to have none', async () => {
    const inventory: Inventory = {
      os: null,
      packages: [
        { ecosystem: 'Debian:12', name: 'tar', version: '1.34', sourceName: 'tar', sourceVersion: '1.34', path: 'var/lib/dpkg/status' },
        { ecosystem: 'npm', name: 'left-pad', version: '1.3.0', sourceName: null, sourceVersion: null, path: 'app/node_modules/left-pad/package.json' },
        { ecosystem: 'PyPI', name: 'six', version: '1.16.0', sourceName: null, sourceVersion: null, path: 'usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA' },
        { ecosystem: 'CBL-Mariner:2.0', name: 'openssl', version: '1.1.1k-29.cm2', sourceName: null, sourceVersion: null, path: 'var/lib/rpm/rpmdb.sqlite' },
      ],
      analysers: {},
      unsupported: [],
      unsettled: [],
      advisoryGaps: [{ distribution: 'CBL-Mariner 2.0', ecosystem: 'CBL-Mariner:2.0', path: 'var/lib/rpm/rpmdb.sqlite', packages: 1 }],
    };
    const covered = new Set(['Debian', 'npm']);
    const files = await filesWithoutAdvisoryData(inventory, { hasEcosystem: async (base) => covered.has(base) });
    assert.deepEqual(files, ['usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA']);
  });
});
