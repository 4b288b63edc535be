import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { ConfigError } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createFakeClock } from './support/fake-clock.js';
import { loadTokens, sha256Of } from '../src/http/tokens.js';
import { databases } from './support/databases.js';
import { createTestService, type TestService } from './support/test-service.js';

const BODY = { region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] };
const TOKENS = { reader: 'reader-token-0123456789', writer: 'writer-token-0123456789', admin: 'admin-token-0123456789' };
const CHALLENGE = 'Bearer realm="ecrscan", Basic realm="ecrscan", charset="UTF-8"';

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

async function tokensFile(dir: string, content: unknown): Promise<string> {
  const path = join(dir, `tokens-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const [sqlite] = await databases();

describe('named tokens with roles', () => {
  let dir: string;
  let service: TestService;
  let configId: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-tokens-'));
    const path = await tokensFile(dir, {
      tokens: [
        { name: 'newsboat', role: 'read', sha256: sha256Of(TOKENS.reader).toString('hex') },
        { name: 'ci', role: 'write', sha256: sha256Of(TOKENS.writer).toString('hex') },
      ],
    });
    const tokens = await loadTokens({ apiToken: TOKENS.admin, tokensFile: path });
    service = await createTestService(await sqlite!.openStore(), { tokens });
    // A route with the admin-only override, as routes added later declare it.
    service.app.post('/admin-only-probe', { config: { access: 'admin' } }, async (request) => ({ by: request.principal?.name ?? null }));
    service.app.get('/whoami-probe', async (request) => ({ principal: request.principal }));
    const created = await service.app.inject({ method: 'POST', url: '/configs', headers: { ...bearer(TOKENS.writer), 'content-type': 'application/json' }, payload: BODY });
    assert.equal(created.statusCode, 201, created.body);
    configId = created.json().id;
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets a read token read, also as the password of HTTP Basic, and tells handlers its name', async () => {
    for (const headers of [bearer(TOKENS.reader), basic('newsboat', TOKENS.reader), basic('any-user-name', TOKENS.reader)]) {
      for (const url of ['/configs', `/configs/${configId}`, '/summary', `/findings/${configId}`, '/metrics', '/openapi.json']) {
        const response = await service.app.inject({ method: 'GET', url, headers });
        assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      }
      const whoami = await service.app.inject({ method: 'GET', url: '/whoami-probe', headers });
      assert.deepEqual(whoami.json(), { principal: { name: 'newsboat', role: 'read' } });
    }
  });

  it('leaves createdBy null without tokens', async () => {
    const open = await createTestService(await sqlite!.openStore());
    try {
      const created = await open.app.inject({ method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: BODY });
      assert.equal(created.json().createdBy, null);
    } finally {
      await open.close();
    }
  });

  it('answers 403 with a problem naming the role when a read token writes, changing nothing', async () => {
    const revision = await service.store.revision();
    const attempts = [
      { method: 'POST' as const, url: '/configs', headers: { ...bearer(TOKENS.reader), 'content-type': 'application/json' }, payload: BODY },
      { method: 'DELETE' as const, url: `/configs/${configId}`, headers: basic('x', TOKENS.reader) },
      { method: 'POST' as const, url: `/configs/${configId}/scan`, headers: bearer(TOKENS.reader) },
    ];
    for (const attempt of attempts) {
      const response = await service.app.inject(attempt);
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(response.json().type, 'urn:ecrscan:problem:forbidden');
      assert.match(response.json().detail, /needs the write role; token "newsboat" has read/);
    }
    assert.equal(await service.store.revision(), revision);
  });

  it('derives the rule from the method and lets a route ask for admin', async () => {
    const scan = await service.app.inject({ method: 'POST', url: `/configs/${configId}/scan`, headers: bearer(TOKENS.writer) });
    assert.equal(scan.statusCode, 202);
    const weak = await service.app.inject({ method: 'POST', url: '/admin-only-probe', headers: bearer(TOKENS.writer) });
    assert.equal(weak.statusCode, 403);
    assert.match(weak.json().detail, /needs the admin role; token "ci" has write/);
    const strong = await service.app.inject({ method: 'POST', url: '/admin-only-probe', headers: basic('', TOKENS.admin) });
    assert.equal(strong.statusCode, 200);
    assert.deepEqual(strong.json(), { by: 'api-token' }, 'ECRSCAN_API_TOKEN is an admin named api-token');
  });

  it('challenges for both schemes on every 401, and keeps health checks open', async () => {
    const refusals = [
      {},
      bearer(`${TOKENS.reader}x`),
      basic('newsboat', 'wrong'),
      { authorization: 'Basic !!!' },
      { authorization: `Token ${TOKENS.admin}` },
      { authorization: `Basic ${Buffer.from(TOKENS.admin).toString('base64')}` },
    ];
    for (const headers of refusals) {
      const response = await service.app.inject({ method: 'GET', url: '/configs', headers });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
      assert.equal(response.headers['www-authenticate'], CHALLENGE);
      assert.equal(response.json().type, 'urn:ecrscan:problem:unauthorized');
    }
    assert.equal((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal((await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });

  it('records the token\'s name as createdBy, and only its name', async () => {
    const config = (await service.app.inject({ method: 'GET', url: `/configs/${configId}`, headers: bearer(TOKENS.reader) })).json();
    assert.equal(config.createdBy, 'ci');
    assert.doesNotMatch(JSON.stringify(config), new RegExp(TOKENS.writer));
  });

  it('logs the token\'s name with what a request did, never the token', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } }));
    const store = await sqlite!.openStore();
    const tokens = await loadTokens({ apiToken: null, tokensFile: null });
    tokens.push({ name: 'ci', role: 'write', sha256: sha256Of(TOKENS.writer) });
    const app = await buildApp({ store, config: { schedule: '24h', apiToken: null }, tokens, logger, metrics: createMetrics(), clock: createFakeClock() });
    try {
      const created = await app.inject({ method: 'POST', url: '/configs', headers: { ...basic('ci', TOKENS.writer), 'content-type': 'application/json' }, payload: BODY });
      assert.equal(created.statusCode, 201);
      await app.inject({ method: 'POST', url: '/configs', headers: { ...bearer(TOKENS.writer), 'content-type': 'application/json' }, payload: { ...BODY, scanner: 'x' } });
      const registered = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === 'configuration registered');
      assert.equal(registered?.['token'], 'ci');
      assert.equal(registered?.['configId'], created.json().id);
      const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === 'request refused');
      assert.equal(refused?.['token'], 'ci');
      assert.ok(!lines.join('').includes(TOKENS.writer), 'the token never reaches the log');
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('lets any valid token learn that a method is not allowed', async () => {
    const response = await service.app.inject({ method: 'PUT', url: '/configs', headers: bearer(TOKENS.reader) });
    assert.equal(response.statusCode, 405);
  });
});

describe('tokens file errors', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-tokens-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"tokens": [', /is not valid JSON/],
    ['a plaintext token', { tokens: [{ name: 'ci', role: 'write', token: 'secret' }] }, /tokens\.0/],
    ['an unknown role', { tokens: [{ name: 'ci', role: 'root', sha256: 'a'.repeat(64) }] }, /tokens\.0\.role/],
    ['a short hash', { tokens: [{ name: 'ci', role: 'read', sha256: 'abc' }] }, /tokens\.0\.sha256/],
    ['a repeated name', { tokens: [{ name: 'ci', role: 'read', sha256: 'a'.repeat(64) }, { name: 'ci', role: 'write', sha256: 'b'.repeat(64) }] }, /"ci" appears twice/],
  ];
  for (const [name, content, message] of cases) {
    it(`refuses ${name}, naming the file`, async () => {
      const path = await tokensFile(dir, content);
      await assert.rejects(loadTokens({ apiToken: null, tokensFile: path }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.startsWith(`ECRSCAN_TOKENS_FILE ${path}`), err.message);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('refuses a missing file, naming it', async () => {
    const path = join(dir, 'absent.json');
    await assert.rejects(loadTokens({ apiToken: null, tokensFile: path }), new RegExp(`${path} cannot be read: ENOENT`));
  });
});

describe('CORS', () => {
  const services: TestService[] = [];
  after(async () => {
    for (const service of services) await service.close();
  });

  it('is off by default: no CORS headers, preflights get no permission', async () => {
    const service = await createTestService(await sqlite!.openStore());
    services.push(service);
    const read = await service.app.inject({ method: 'GET', url: '/configs', headers: { origin: 'https://evil.example' } });
    assert.equal(read.statusCode, 200);
    assert.equal(read.headers['access-control-allow-origin'], undefined);
    const preflight = await service.app.inject({ method: 'OPTIONS', url: '/configs', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal(preflight.headers['access-control-allow-methods'], undefined);
  });

  it('allows listed origins every method and * the read-only ones', async () => {
    const service = await createTestService(await sqlite!.openStore(), { corsOrigins: ['https://dash.example.com', '*'] });
    services.push(service);
    const named = await service.app.inject({ method: 'OPTIONS', url: '/configs', headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(named.statusCode, 204);
    assert.equal(named.headers['access-control-allow-origin'], 'https://dash.example.com');
    assert.match(String(named.headers['access-control-allow-methods']), /POST/);
    assert.match(String(named.headers['access-control-allow-headers']), /authorization/);

    const other = await service.app.inject({ method: 'OPTIONS', url: '/configs', headers: { origin: 'https://other.example', 'access-control-request-method': 'POST' } });
    assert.equal(other.headers['access-control-allow-origin'], '*');
    assert.equal(other.headers['access-control-allow-methods'], 'GET, HEAD');

    const read = await service.app.inject({ method: 'GET', url: '/summary', headers: { origin: 'https://other.example' } });
    assert.equal(read.headers['access-control-allow-origin'], '*');
    assert.match(String(read.headers['access-control-expose-headers']), /etag/);
    const write = await service.app.inject({
      method: 'POST',
      url: '/configs',
      headers: { origin: 'https://other.example', 'content-type': 'application/json' },
      payload: BODY,
    });
    assert.equal(write.headers['access-control-allow-origin'], undefined, 'a page of any origin may not read a write\'s answer');
  });
});

describe('the summary as curl sees it', () => {
  let service: TestService;
  before(async () => {
    service = await createTestService(await sqlite!.openStore());
  });
  after(() => service.close());

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['no Accept header', {}, /^text\/plain/],
    ['Accept: */*', { accept: '*/*' }, /^text\/plain/],
    ['Accept: text/plain', { accept: 'text/plain' }, /^text\/plain/],
    ['Accept: application/json', { accept: 'application/json' }, /^application\/json/],
    ['a browser', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, /^text\/plain/],
  ];
  for (const [name, headers, type] of cases) {
    it(`answers ${String(type).slice(2, -1).replace('\\', '')} to ${name}`, async () => {
      const response = await service.app.inject({ method: 'GET', url: '/summary', headers });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), type);
    });
  }

  it('follows ?format= whatever Accept says', async () => {
    const json = await service.app.inject({ method: 'GET', url: '/summary?format=json', headers: { accept: '*/*' } });
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(json.json()), ['generatedAt', 'totals', 'configs']);
    const text = await service.app.inject({ method: 'GET', url: '/summary?format=text', headers: { accept: 'application/json' } });
    assert.match(String(text.headers['content-type']), /^text\/plain/);
  });
});
