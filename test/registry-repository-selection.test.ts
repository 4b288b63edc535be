import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { createBuiltinScanner } from '../src/scanners/builtin/builtin-scanner.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { RegistryError } from '../src/scanners/builtin/registry/registry-error.js';
import { createRequestBudget } from '../src/scanners/request-budget.js';
import type { Scanner } from '../src/scanners/scanner.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import type { Database } from '../src/store/tables.js';
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.js';
import { createFakeClock } from './support/fake-clock.js';
import { type TestHttpServer, sendJson, sendRegistryError, startHttpServer } from './support/http-server.js';
import { buildImage, buildLayer, pushImage, type BuiltImage } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

const installed = findRegistryBinary() !== null;
if (!installed) warnRegistryMissing('test/registry-repository-selection.test.ts');

/** Each image is built at another time (its configuration's `created`), which stands for its push time. */
const PUSHED: Record<string, Record<string, string>> = {
  'team/api': { v1: '2026-01-01T00:00:00Z', v2: '2026-03-01T00:00:00Z', v3: '2026-06-01T00:00:00Z', 'v4-rc': '2026-06-10T00:00:00Z' },
  'team/web': { w1: '2026-02-01T00:00:00Z', w2: '2026-05-01T00:00:00Z' },
  'other/x': { x1: '2025-01-01T00:00:00Z' },
};

describe('repository globs and push times over the reference registry', { skip: !installed && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let proxy: CountingProxy;
  let db: Kysely<Database>;
  let scanner: Scanner;
  const clock = createFakeClock(new Date('2026-06-15T00:00:00Z'));
  const images: Record<string, BuiltImage> = {};

  const config = (overrides: Partial<ScanConfig>): ScanConfig => ({
    id: 'c1',
    created: new Date(),
    region: null,
    registry: proxy.host,
    repository: 'team/*',
    tags: null,
    schedule: null,
    scanner: 'builtin',
    platform: null,
    ...overrides,
  });

  before(async () => {
    registry = await startRegistry();
    const layer = await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }]);
    for (const [repository, tags] of Object.entries(PUSHED)) {
      for (const [tag, created] of Object.entries(tags)) {
        images[`${repository}:${tag}`] = buildImage([layer], { created });
        await pushImage({ url: registry.url }, repository, tag, images[`${repository}:${tag}`] as BuiltImage);
      }
    }
    proxy = await startCountingProxy(registry);
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    // Pages of two: the three repositories take two catalogue pages.
    const client = createRegistryClient({ insecureHosts: [proxy.host], tagPageSize: 2, retry: { baseDelayMs: 10 } });
    scanner = createBuiltinScanner({ db, client, clock });
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await db?.destroy();
  });

  it('team/* with newest: 1 and exclude: the newest tag of each repository, push times read once per digest', async () => {
    const signal = AbortSignal.timeout(30_000);
    proxy.requests.length = 0;
    const listed = await scanner.listImages(config({ newest: 1, exclude: ['*-rc'] }), signal);
    assert.deepEqual(
      listed.images.map((image) => [image.repository, image.tag, image.digest]),
      [
        ['team/api', 'v3', images['team/api:v3']?.manifest.digest],
        ['team/web', 'w2', images['team/web:w2']?.manifest.digest],
      ],
    );
    assert.deepEqual(listed.repositories, ['team/api', 'team/web']);
    const catalogue = proxy.requests.filter((request) => request.includes('/v2/_catalog'));
    assert.equal(catalogue.length, 2, `the catalogue's Link paging is followed: ${catalogue.join(', ')}`);
    const configReads = proxy.requests.filter((request) => request.startsWith('GET ') && request.includes('/blobs/'));
    assert.equal(configReads.length, 5, 'one image configuration per digest selected by name (the excluded rc is never read)');

    proxy.requests.length = 0;
    const again = await scanner.listImages(config({ newest: 1, exclude: ['*-rc'] }), signal);
    assert.deepEqual(again.images, listed.images);
    assert.equal(proxy.requests.filter((request) => request.includes('/blobs/') || request.startsWith('GET /v2/team/api/manifests')).length, 0, 'push times are kept');
  });

  it('** with pushedWithin: every repository, only what was built lately', async () => {
    const listed = await scanner.listImages(config({ repository: '**', pushedWithin: '30d' }), AbortSignal.timeout(30_000));
    assert.deepEqual(
      listed.images.map((image) => `${image.repository}:${image.tag}`),
      ['team/api:v3', 'team/api:v4-rc'],
    );
  });

  it('a registry that refuses its catalogue fails the listing with a clear error', async () => {
    const refusing: TestHttpServer = await startHttpServer((req, res) => {
      if (req.url?.startsWith('/v2/_catalog')) return sendRegistryError(res, 404, 'NOT_FOUND', '404 page not found');
      sendJson(res, 200, {});
    });
    try {
      const client = createRegistryClient({ insecureHosts: [refusing.host] });
      const refused = createBuiltinScanner({ db, client, clock });
      await assert.rejects(refused.listImages(config({ registry: refusing.host }), AbortSignal.timeout(10_000)), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.status, 'UNSUPPORTED_IMAGE');
        assert.match(err.message, /does not list its repositories \(\/v2\/_catalog answered 404\); name the repository instead of a pattern/);
        return true;
      });
    } finally {
      await refusing.close();
    }
  });

  it('429 with Retry-After pauses that host as a whole; another registry goes on meanwhile', async () => {
    let throttled = 0;
    const slow = await startHttpServer((req, res) => {
      if (throttled < 1) {
        throttled += 1;
        return sendRegistryError(res, 429, 'TOOMANYREQUESTS', 'slow down', { 'retry-after': '1' });
      }
      sendJson(res, 200, { name: 'slow/app', tags: ['1'] });
    });
    try {
      const budget = createRequestBudget({ limitsFor: () => ({ rps: 100, connections: 4 }) });
      const client = createRegistryClient({ insecureHosts: [slow.host, proxy.host], budget, retry: { baseDelayMs: 10 } });
      const started = Date.now();
      const throttledList = client.listTags({ registry: slow.host, repository: 'slow/app' }).then((tags) => ({ tags, ms: Date.now() - started }));
      while (throttled === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(budget.pausedUntil(slow.host) > Date.now(), 'the throttled host is paused');
      // Another request to the paused host waits too, while the other registry answers at once.
      const second = client.listTags({ registry: slow.host, repository: 'slow/other' }).then(() => Date.now() - started);
      const other = await client.listTags({ registry: proxy.host, repository: 'team/web' });
      const otherMs = Date.now() - started;
      assert.deepEqual(other.sort(), ['w1', 'w2']);
      assert.ok(otherMs < 900, `the other registry was not held up (${otherMs} ms)`);
      const { tags, ms } = await throttledList;
      assert.deepEqual(tags, ['1']);
      assert.ok(ms >= 950, `the throttled request waited for Retry-After (${ms} ms)`);
      assert.ok((await second) >= 950, 'a request to the paused host waited for the pause to end');
      assert.equal(budget.pausedUntil(slow.host), 0);
    } finally {
      await slow.close();
    }
  });
});
