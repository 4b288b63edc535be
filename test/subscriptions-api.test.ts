import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../src/clock.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import type { Store } from '../src/store/store.js';
import { databases } from './support/databases.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}

async function api(t: TestContext, store: Store): Promise<FastifyInstance> {
  const app = await buildApp({
    store,
    config: { schedule: '24h', apiToken: null },
    logger: createLogger('silent'),
    metrics: createMetrics(),
    clock: systemClock,
    notifications: { allowPrivate: false, publicUrl: 'https://ecrscan.example', wake: () => undefined },
  });
  t.after(() => app.close());
  return app;
}

const VALID = { url: 'https://hooks.example.com/ecrscan', format: 'json' };

for (const dialect of await databases()) {
  describe(`subscriptions API (${dialect.name})`, () => {
    it('creates, lists, changes and removes a subscription; the secret is shown once', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      const app = await api(t, store);
      const config = await store.createConfig(
        { region: 'us-west-2', registry: '123456789012', repository: 'team/api', tags: null, schedule: null, scanner: 'ecr', platform: null },
        new Date(),
      );
      const created = await app.inject({
        method: 'POST',
        url: '/subscriptions/',
        payload: { ...VALID, filters: { configs: [config.id], minSeverity: 'HIGH', types: ['finding.new'] }, description: 'security channel' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json<{ id: string; url: string; secret: string; status: string; filters: Record<string, unknown>; createdBy: string | null }>();
      assert.match(body.secret, /^whsec_[A-Za-z0-9+/=]{32}$/);
      assert.equal(created.headers.location, `/subscriptions/${body.id}`);
      assert.equal(body.status, 'active');
      assert.equal(body.url, 'https://hooks.example.com/…', 'the path, which may be a credential, is not shown back');
      assert.deepEqual(body.filters, { configs: [config.id], repositories: null, types: ['finding.new'], minSeverity: 'HIGH', fixableOnly: false });

      const one = await app.inject({ method: 'GET', url: `/subscriptions/${body.id}` });
      assert.equal(one.statusCode, 200);
      assert.ok(!one.body.includes(body.secret) && !('secret' in one.json<object>()), 'never shown again');
      const list = await app.inject({ method: 'GET', url: '/subscriptions' });
      assert.equal(list.json<unknown[]>().length, 1);
      assert.ok(!list.body.includes('whsec_'));

      const patched = await app.inject({ method: 'PATCH', url: `/subscriptions/${body.id}`, payload: { format: 'slack', digest: 'daily', sendEmpty: true } });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual(
        (({ format, digest, sendEmpty }) => ({ format, digest, sendEmpty }))(patched.json<{ format: string; digest: string; sendEmpty: boolean }>()),
        { format: 'slack', digest: 'daily', sendEmpty: true },
      );
      assert.ok(!('secret' in patched.json<object>()), 'a change that does not rotate shows no secret');

      assert.equal((await app.inject({ method: 'DELETE', url: `/subscriptions/${body.id}` })).statusCode, 204);
      assert.equal((await app.inject({ method: 'GET', url: `/subscriptions/${body.id}` })).statusCode, 404);
      assert.equal((await app.inject({ method: 'DELETE', url: `/subscriptions/${body.id}` })).statusCode, 404);
    });

    it('refuses bad input with a problem naming the field, and changes nothing', async (t) => {
      const store = await dialect.openStore();
      t.after(() => store.close());
      const app = await api(t, store);
      const cases: Array<[unknown, string, RegExp?]> = [
        [{ ...VALID, url: 'ftp://example.com/x' }, 'url', /http or https/],
        [{ ...VALID, url: 'https://user:secret@example.com/x' }, 'url', /credentials/],
        [{ ...VALID, url: 'http://127.0.0.1:9000/hook' }, 'url', /private/],
        [{ ...VALID, url: 'http://169.254.169.254/latest' }, 'url', /private/],
        [{ ...VALID, url: '' }, 'url'],
        [{ format: 'json' }, 'url'],
        [{ ...VALID, format: 'xml' }, 'format'],
        [{ ...VALID, digest: 'weekly' }, 'digest'],
        [{ ...VALID, secret: 'hunter2' }, 'secret'],
        [{ ...VALID, filters: { minSeverity: 'SEVERE' } }, 'filters.minSeverity'],
        [{ ...VALID, filters: { types: ['finding.exploded'] } }, 'filters.types[0]'],
        [{ ...VALID, filters: { repositories: ['(a+)+$'] } }, 'filters.repositories[0]'],
        [{ ...VALID, filters: { configs: ['5b8f7f5e-0000-4000-8000-000000000000'] } }, 'filters.configs[0]', /no scan configuration/],
        [{ ...VALID, filters: { colour: 'red' } }, 'filters.colour'],
        [{ ...VALID, extra: true }, 'extra'],
      ];
      for (const [payload, field, detail] of cases) {
        const response = await app.inject({ method: 'POST', url: '/subscriptions', payload: payload as object });
        assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
        const problem = response.json<Problem>();
        assert.equal(problem.field, field, JSON.stringify(payload));
        if (detail) assert.match(problem.detail, detail);
      }
      const malformed = await app.inject({ method: 'POST', url: '/subscriptions', headers: { 'content-type': 'application/json' }, payload: '{"url":' });
      assert.equal(malformed.json<Problem>().type, 'urn:ecrscan:problem:malformed-json');
      assert.deepEqual((await app.inject({ method: 'GET', url: '/subscriptions' })).json(), [], 'nothing was created');

      const created = (await app.inject({ method: 'POST', url: '/subscriptions', payload: VALID })).json<{ id: string; updatedAt: string }>();
      const conflicting = await app.inject({ method: 'PATCH', url: `/subscriptions/${created.id}`, payload: { rotateSecret: true, secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` } });
      assert.equal(conflicting.json<Problem>().field, 'rotateSecret');
      const badUrl = await app.inject({ method: 'PATCH', url: `/subscriptions/${created.id}`, payload: { url: 'http://10.0.0.5/x', format: 'slack' } });
      assert.equal(badUrl.json<Problem>().field, 'url');
      const after = (await app.inject({ method: 'GET', url: `/subscriptions/${created.id}` })).json<{ url: string; format: string; updatedAt: string }>();
      assert.deepEqual([after.url, after.format, after.updatedAt], ['https://hooks.example.com/…', 'json', created.updatedAt], 'a refused change changes nothing');

      const unknown = await app.inject({ method: 'GET', url: '/subscriptions/no-such-id' });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json<Problem>().type, 'urn:ecrscan:problem:subscription-not-found');
      assert.equal((await app.inject({ method: 'POST', url: '/subscriptions/no-such-id/test' })).statusCode, 404);
      assert.equal((await app.inject({ method: 'PATCH', url: '/subscriptions/no-such-id', payload: {} })).statusCode, 404);
      const badLimit = await app.inject({ method: 'GET', url: `/subscriptions/${created.id}/deliveries?limit=0` });
      assert.equal(badLimit.json<Problem>().field, 'limit');
    });
  });
}
