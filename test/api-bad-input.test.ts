import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { databases } from './support/databases.js';
import { createTestService, type TestService } from './support/test-service.js';

const VALID = { region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] };
const json = { 'content-type': 'application/json' };

interface Case {
  name: string;
  request: (knownId: string) => InjectOptions;
  status: number;
  field?: string;
  detail?: RegExp;
}

function patch(id: string, payload: unknown): InjectOptions {
  return { method: 'PATCH', url: `/configs/${id}`, headers: json, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) };
}

function post(payload: unknown, headers: Record<string, string> = json): InjectOptions {
  return { method: 'POST', url: '/configs/', headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) };
}

const CASES: Case[] = [
  { name: 'malformed JSON', request: () => post('{"region": "us-west-2",'), status: 400, field: 'body' },
  { name: 'an empty body', request: () => post(''), status: 400, field: 'body' },
  { name: 'a JSON array instead of an object', request: () => post([VALID]), status: 400, field: 'body' },
  { name: 'prototype poisoning', request: () => post('{"__proto__": {"x": 1}, "registry": "123456789012"}'), status: 400, field: 'body' },
  { name: 'a text/plain body', request: () => post(JSON.stringify(VALID), { 'content-type': 'text/plain' }), status: 415 },
  { name: 'a form body', request: () => post('region=us-west-2', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415 },
  { name: 'a number where a string belongs', request: () => post({ ...VALID, registry: 123456789012 }), status: 400, field: 'registry' },
  { name: 'an unknown field', request: () => post({ ...VALID, bucket: 'x' }), status: 400, field: 'bucket' },
  { name: 'a missing repository', request: () => post({ region: 'us-west-2', registry: '123456789012' }), status: 400, field: 'repository' },
  { name: 'a body over 64 KiB', request: () => post({ ...VALID, tags: ['a'.repeat(70 * 1024)] }), status: 413 },
  { name: 'an upper-case repository', request: () => post({ ...VALID, repository: 'Amazonlinux' }), status: 400, field: 'repository' },
  { name: 'a repository with ..', request: () => post({ ...VALID, repository: 'a/../b' }), status: 400, field: 'repository' },
  { name: 'a one-character repository', request: () => post({ ...VALID, repository: 'a' }), status: 400, field: 'repository' },
  { name: 'a repository over 256 characters', request: () => post({ ...VALID, repository: `a/${'b'.repeat(256)}` }), status: 400, field: 'repository' },
  { name: 'a tag with a slash', request: () => post({ ...VALID, tags: ['v1/latest'] }), status: 400, field: 'tags[0]' },
  { name: 'a tag starting with a dot', request: () => post({ ...VALID, tags: ['ok', '.hidden'] }), status: 400, field: 'tags[1]' },
  { name: 'a tag of 129 characters', request: () => post({ ...VALID, tags: ['a'.repeat(129)] }), status: 400, field: 'tags[0]' },
  { name: 'more than 100 tags', request: () => post({ ...VALID, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }), status: 400, field: 'tags' },
  { name: 'a repeated tag', request: () => post({ ...VALID, tags: ['a', 'a'] }), status: 400, field: 'tags' },
  { name: 'a made-up region', request: () => post({ ...VALID, region: 'mars' }), status: 400, field: 'region' },
  { name: 'an account id without a region', request: () => post({ ...VALID, region: undefined }), status: 400, field: 'region' },
  { name: 'an 11-digit account id', request: () => post({ ...VALID, registry: '12345678901' }), status: 400, field: 'registry' },
  { name: 'a registry with a path', request: () => post({ ...VALID, registry: 'ghcr.io/acme' }), status: 400, field: 'registry' },
  { name: 'a registry URL', request: () => post({ ...VALID, registry: 'https://ghcr.io' }), status: 400, field: 'registry' },
  { name: 'a schedule under 5 minutes', request: () => post({ ...VALID, schedule: '1m' }), status: 400, field: 'schedule' },
  { name: 'a schedule that is neither', request: () => post({ ...VALID, schedule: 'daily' }), status: 400, field: 'schedule' },
  { name: 'a cron expression out of range', request: () => post({ ...VALID, schedule: '61 * * * *' }), status: 400, field: 'schedule' },
  { name: 'an unknown scanner', request: () => post({ ...VALID, scanner: 'clair' }), status: 400, field: 'scanner', detail: /^scanner must be one of ecr, builtin$/ },
  { name: 'tags as a string', request: () => post({ ...VALID, tags: 'latest' }), status: 400, field: 'tags', detail: /^tags must be an array/ },
  { name: 'the ECR scanner for a non-ECR host', request: () => post({ registry: 'ghcr.io', repository: 'acme/app', scanner: 'ecr' }), status: 400, field: 'scanner' },
  { name: 'an unknown id', request: () => ({ method: 'GET', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6' }), status: 404, field: 'id' },
  { name: 'an id that is not a UUID', request: () => ({ method: 'GET', url: '/configs/not-a-uuid' }), status: 404, field: 'id' },
  { name: "deleting the demo walkthrough's short id", request: () => ({ method: 'DELETE', url: '/configs/e7c3b83c-b995-44d3-942b-8b1001f33ae' }), status: 404, field: 'id' },
  { name: 'scanning an id that is not a UUID', request: () => ({ method: 'POST', url: '/configs/42/scan' }), status: 404, field: 'id' },
  { name: 'findings of an id that is not a UUID', request: () => ({ method: 'GET', url: '/findings/%E2%9C%93' }), status: 404, field: 'id' },
  { name: 'deleting an unknown id', request: () => ({ method: 'DELETE', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6' }), status: 404, field: 'id' },
  { name: 'deleting a path-like id', request: () => ({ method: 'DELETE', url: '/configs/..%2F..%2Fetc' }), status: 404, field: 'id' },
  { name: 'scanning an unknown id', request: () => ({ method: 'POST', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6/scan' }), status: 404, field: 'id' },
  { name: 'findings of an unknown id', request: () => ({ method: 'GET', url: '/findings/4471c156-29f5-40fe-883b-3cd26738d5a6' }), status: 404, field: 'id' },
  { name: 'findings with limit 0', request: (id) => ({ method: 'GET', url: `/findings/${id}?limit=0` }), status: 400, field: 'limit' },
  { name: 'findings with limit 5000', request: (id) => ({ method: 'GET', url: `/findings/${id}?limit=5000` }), status: 400, field: 'limit' },
  { name: 'findings with an unknown severity', request: (id) => ({ method: 'GET', url: `/findings/${id}?severity=SEVERE` }), status: 400, field: 'severity' },
  { name: 'events in an unknown order', request: () => ({ method: 'GET', url: '/events?order=newest' }), status: 400, field: 'order', detail: /^order must be one of asc, desc$/ },
  { name: 'a repository over 256 characters, named', request: () => post({ ...VALID, repository: `a${'b'.repeat(256)}` }), status: 400, field: 'repository', detail: /^repository must be at most 256 characters long$/ },
  { name: 'findings with a limit that is not a number', request: (id) => ({ method: 'GET', url: `/findings/${id}?limit=ten` }), status: 400, field: 'limit', detail: /^limit must be a whole number$/ },
  { name: 'findings with an unknown status', request: (id) => ({ method: 'GET', url: `/findings/${id}?status=open` }), status: 400, field: 'status', detail: /^status must be one of active, fixed, suppressed, all$/ },
  { name: 'the summary in an unknown format', request: () => ({ method: 'GET', url: '/summary?format=xml' }), status: 400, field: 'format', detail: /^format must be one of text, json$/ },
  { name: 'an unknown parameter on the list', request: () => ({ method: 'GET', url: '/configs?status=FAILED' }), status: 400, field: 'status' },
  { name: 'changing the registry', request: (id) => patch(id, { registry: '210987654321' }), status: 400, field: 'registry', detail: /registry cannot be changed/ },
  { name: 'changing the repository', request: (id) => patch(id, { repository: 'other/repo', tags: ['1'] }), status: 400, field: 'repository', detail: /repository cannot be changed/ },
  { name: 'changing the region', request: (id) => patch(id, { region: 'eu-west-1' }), status: 400, field: 'region' },
  { name: 'patching an unknown scanner', request: (id) => patch(id, { scanner: 'trivy' }), status: 400, field: 'scanner', detail: /^scanner must be one of ecr, builtin$/ },
  { name: 'patching an unknown field', request: (id) => patch(id, { bucket: 'x' }), status: 400, field: 'bucket' },
  { name: 'patching a schedule under 5 minutes', request: (id) => patch(id, { schedule: '1m' }), status: 400, field: 'schedule' },
  { name: 'patching a bad platform', request: (id) => patch(id, { platform: 'amd64' }), status: 400, field: 'platform' },
  { name: 'patching a repeated tag', request: (id) => patch(id, { tags: ['a', 'a'] }), status: 400, field: 'tags' },
  { name: 'patching malformed JSON', request: (id) => patch(id, '{"tags": ['), status: 400, field: 'body' },
  { name: 'patching with a text body', request: (id) => ({ ...patch(id, '{}'), headers: { 'content-type': 'text/plain' } }), status: 415 },
  { name: 'patching an unknown id', request: () => patch('4471c156-29f5-40fe-883b-3cd26738d5a6', { tags: ['x'] }), status: 404, field: 'id' },
  { name: 'patching an id that is not a UUID', request: () => patch('nope', { tags: ['x'] }), status: 404, field: 'id' },
  { name: 'findings with an unknown parameter', request: (id) => ({ method: 'GET', url: `/findings/${id}?page=2` }), status: 400, field: 'page' },
  { name: 'findings in an unavailable type', request: (id) => ({ method: 'GET', url: `/findings/${id}`, headers: { accept: 'image/png' } }), status: 406 },
  { name: 'a registry port over 65535', request: () => post({ registry: 'registry.local:99999', repository: 'acme/app' }), status: 400, field: 'registry' },
  { name: 'registry port 0', request: () => post({ registry: 'registry.local:0', repository: 'acme/app' }), status: 400, field: 'registry' },
  { name: 'a schedule longer than a date can hold', request: () => post({ ...VALID, schedule: '100000000d' }), status: 400, field: 'schedule' },
  { name: 'a cron schedule that fires every four years', request: () => post({ ...VALID, schedule: '0 0 29 2 *' }), status: 400, field: 'schedule' },
  { name: 'a glob with characters globs do not have', request: () => post({ ...VALID, tags: ['1.?'] }), status: 400, field: 'tags[0]' },
  { name: 'a garbage cursor', request: (id) => ({ method: 'GET', url: `/findings/${id}?after=AAAA` }), status: 400, field: 'after' },
  { name: 'a cursor of base64 text', request: (id) => ({ method: 'GET', url: `/findings/${id}?after=Zm9v` }), status: 400, field: 'after' },
  { name: 'malformed percent-encoding', request: () => ({ method: 'GET', url: '/configs/%ZZ' }), status: 400 },
  { name: 'a lone percent sign', request: () => ({ method: 'GET', url: '/configs/%' }), status: 400 },
  { name: 'overlong UTF-8', request: () => ({ method: 'GET', url: '/configs/%C0%AF' }), status: 400 },
  { name: 'an id of 101 characters', request: () => ({ method: 'GET', url: `/configs/${'a'.repeat(101)}` }), status: 404, field: 'id' },
  { name: 'findings of an id of 200 characters', request: () => ({ method: 'GET', url: `/findings/${'a'.repeat(200)}` }), status: 404, field: 'id' },
  {
    name: 'deleting an unknown id with an empty JSON body',
    request: () => ({ method: 'DELETE', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6', headers: json, payload: '' }),
    status: 404,
    field: 'id',
  },
  {
    name: 'scanning an unknown id with an empty JSON body',
    request: () => ({ method: 'POST', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6/scan', headers: json, payload: '' }),
    status: 404,
    field: 'id',
  },
  { name: 'an unknown method with an empty JSON body', request: () => ({ method: 'PUT', url: '/configs/', headers: json, payload: '' }), status: 405 },
  { name: 'an unknown route', request: () => ({ method: 'GET', url: '/register/' }), status: 404 },
  { name: 'an unknown method', request: () => ({ method: 'PUT', url: '/configs/', headers: json, payload: '{}' }), status: 405 },
  { name: 'PUT on a configuration', request: (id) => ({ method: 'PUT', url: `/configs/${id}`, headers: json, payload: '{}' }), status: 405 },
];

for (const dialect of await databases()) {
  describe(`bad input on ${dialect.name}`, () => {
    let service: TestService;
    let knownId: string;
    before(async () => {
      service = await createTestService(await dialect.openStore());
      const created = await service.app.inject(post(VALID));
      knownId = created.json().id;
    });
    after(() => service.close());

    for (const testCase of CASES) {
      it(`answers ${testCase.status} with a problem to ${testCase.name}, changing nothing`, async () => {
        const revision = await service.store.revision();
        const configsBefore = (await service.app.inject({ method: 'GET', url: '/configs' })).body;
        const response = await service.app.inject(testCase.request(knownId));
        assert.equal(response.statusCode, testCase.status, response.body);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
        const problem = response.json();
        assert.equal(problem.status, testCase.status);
        assert.match(problem.type, /^urn:ecrscan:problem:[a-z-]+$/);
        assert.equal(typeof problem.title, 'string');
        assert.ok(problem.detail.length > 0);
        assert.doesNotMatch(response.body, /at .*\.(ts|js):[0-9]+/, 'no stack trace');
        if (testCase.field) assert.equal(problem.field, testCase.field, problem.detail);
        if (testCase.detail) assert.match(problem.detail, testCase.detail);
        if (testCase.status === 405) assert.ok(response.headers.allow);
        assert.equal(await service.store.revision(), revision, 'the store did not change');
        assert.equal((await service.app.inject({ method: 'GET', url: '/configs' })).body, configsBefore);
      });
    }

    it('requires the API token on every route but health checks when one is set', async () => {
      const token = 'a-long-enough-test-token';
      const guarded = await createTestService(await dialect.openStore(), { apiToken: token });
      try {
        for (const url of ['/configs', '/summary', '/metrics', '/openapi.json', `/findings/${knownId}`]) {
          const refused = await guarded.app.inject({ method: 'GET', url });
          assert.equal(refused.statusCode, 401, url);
          assert.equal(refused.headers['www-authenticate'], 'Bearer realm="ecrscan", Basic realm="ecrscan", charset="UTF-8"');
          const wrong = await guarded.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}x` } });
          assert.equal(wrong.statusCode, 401, url);
        }
        const refusedPost = await guarded.app.inject({ ...post(VALID) });
        assert.equal(refusedPost.statusCode, 401);
        assert.equal((await guarded.app.inject({ method: 'GET', url: '/configs' , headers: { authorization: `Bearer ${token}` } })).json().length, 0);
        assert.equal((await guarded.app.inject({ method: 'GET', url: '/configs', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
        assert.equal((await guarded.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
        assert.equal((await guarded.app.inject({ method: 'GET', url: '/readyz/' })).statusCode, 200);
      } finally {
        await guarded.close();
      }
    });
  });
}
