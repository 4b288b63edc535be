import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { systemClock } from '../clock.js';
import { buildApp } from './app.js';
import { DASHBOARD_CSP, dashboardDirFor, loadDashboard } from './dashboard.js';

const TOKEN = 'dashboard-unit-token-0123456789';

describe('serving the dashboard', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let bare: FastifyInstance;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-dashboard-unit-'));
    await mkdir(join(dir, 'ui', 'assets'), { recursive: true });
    await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html><script type="module" src="/assets/index-AbCd1234.js"></script>');
    await writeFile(join(dir, 'ui', 'assets', 'index-AbCd1234.js'), 'console.log(1)');
    await writeFile(join(dir, 'ui', 'assets', 'notes.txt'), 'not an asset type');
    store = await openStore(join(dir, 'db.sqlite'));
    const deps = { store, config: { schedule: '24h', apiToken: TOKEN }, logger: createLogger('silent'), metrics: createMetrics(), clock: systemClock };
    app = await buildApp({ ...deps, dashboard: loadDashboard(join(dir, 'ui')) });
    bare = await buildApp({ ...deps, dashboard: loadDashboard(join(dir, 'missing')) });
  });
  after(async () => {
    await app?.close();
    await bare?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the page without a token, revalidated, under the policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['content-security-policy'], DASHBOARD_CSP);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-|\*|https?:/);
    // The API itself still needs the token.
    assert.equal((await app.inject({ method: 'GET', url: '/configs' })).statusCode, 401);
  });

  it('serves hashed assets for a year, and nothing else from the folder', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-AbCd1234.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.body, 'console.log(1)');
    assert.match(asset.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    for (const url of ['/assets/notes.txt', '/assets/index-0000.js', '/assets/..%2Findex.html']) {
      const answer = await app.inject({ method: 'GET', url });
      assert.equal(answer.statusCode, 404, url);
      assert.match(answer.headers['content-type'] as string, /problem\+json/, url);
    }
  });

  it('leaves the dashboard out of the OpenAPI document, which describes the API', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } })).json() as { paths: Record<string, unknown> };
    assert.equal(document.paths['/'], undefined);
    assert.equal(document.paths['/assets/{name}'], undefined);
  });

  it('answers 404 at / when the dashboard is not built, and the API goes on', async () => {
    // Like any path the server does not know: 401 without a token, 404 with one.
    assert.equal((await bare.inject({ method: 'GET', url: '/' })).statusCode, 401);
    assert.equal((await bare.inject({ method: 'GET', url: '/', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 404);
    assert.equal((await bare.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  it('finds dist/ui from the sources and from the compiled tree alike', () => {
    assert.equal(dashboardDirFor('/app/src/http/dashboard.ts'), '/app/dist/ui');
    assert.equal(dashboardDirFor('/app/dist/src/http/dashboard.js'), '/app/dist/ui');
  });
});
