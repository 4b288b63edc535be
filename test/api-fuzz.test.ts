import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { databases } from './support/databases.js';
import { createTestService, type TestService } from './support/test-service.js';

/**
 * Every route of the OpenAPI document, fed what a careless or hostile client sends:
 * malformed JSON, wrong types in every field, oversized and deeply nested bodies, the wrong
 * media type, bad percent-encoding, bad cursors and page sizes, ids of every wrong shape.
 * Every answer must be a problem document with the expected 4xx, and nothing stored may change.
 */

interface OpenApiOperation {
  parameters?: { name: string; in: 'path' | 'query'; schema?: { pattern?: string; anyOf?: unknown[]; enum?: unknown[]; maxLength?: number } }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, FieldSchema> } }> };
}

interface FieldSchema {
  type?: unknown;
  anyOf?: FieldSchema[];
  enum?: unknown[];
  const?: unknown;
}

/** The JSON types a field accepts, unions included. */
function typesOf(schema: FieldSchema): unknown[] {
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  return schema.type === undefined ? [] : [schema.type].flat();
}

type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> };

interface FuzzCase {
  name: string;
  request: InjectOptions;
  /** The status expected, or any 4xx when null. */
  status: number | null;
}

const UNKNOWN_ID = '4471c156-29f5-40fe-883b-3cd26738d5a6';
const json = { 'content-type': 'application/json' };

/** A value of another JSON type than the schema's `type` says. */
function wrongValues(type: unknown): unknown[] {
  const all: Array<[string, unknown]> = [
    ['string', 'text'],
    ['number', 12.5],
    ['integer', 7],
    ['boolean', true],
    ['array', ['x']],
    ['object', { nested: 'x' }],
  ];
  const allowed = new Set((Array.isArray(type) ? type : [type]).map(String));
  if (allowed.has('number')) allowed.add('integer');
  return all.filter(([name]) => !allowed.has(name)).map(([, value]) => value);
}

function nested(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

function casesOf(document: OpenApiDocument, knownId: string, validBody: Record<string, unknown>): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const verb = method.toUpperCase() as InjectOptions['method'];
      const params = operation.parameters ?? [];
      const hasId = params.some((param) => param.in === 'path' && param.name === 'id');
      const url = (id: string): string => template.replace('{id}', id);
      const label = `${verb} ${template}`;
      if (hasId) {
        // A route that takes a body gets an empty object, so that the id is what is wrong.
        const withBody = operation.requestBody ? { headers: json, payload: '{}' } : {};
        cases.push({ name: `${label} with an unknown id`, request: { method: verb, url: url(UNKNOWN_ID), ...withBody }, status: 404 });
        cases.push({ name: `${label} with an id of 101 characters`, request: { method: verb, url: url('a'.repeat(101)) }, status: 404 });
        cases.push({ name: `${label} with an id of 5,000 characters`, request: { method: verb, url: url('b'.repeat(5000)) }, status: 404 });
        // Malformed ids are 400 on some routes and 404 ("no such id, whatever its shape") on others.
        cases.push({ name: `${label} with a malformed id`, request: { method: verb, url: url('not-a-uuid') }, status: null });
        cases.push({ name: `${label} with bad percent-encoding`, request: { method: verb, url: url('%ZZ') }, status: 400 });
        cases.push({ name: `${label} with a lone percent sign`, request: { method: verb, url: url('%') }, status: 400 });
        cases.push({ name: `${label} with overlong UTF-8`, request: { method: verb, url: url('%C0%AE%C0%AE') }, status: 400 });
        cases.push({ name: `${label} with an encoded path escape`, request: { method: verb, url: url('..%2F..%2Fetc%2Fpasswd') }, status: null });
      } else {
        cases.push({ name: `${label} with bad percent-encoding after it`, request: { method: verb, url: `${template}%ZZ` }, status: null });
      }
      const queryParams = params.filter((param) => param.in === 'query');
      const queries = queryParams.map((param) => param.name);
      const target = url(knownId);
      for (const { name, schema = {} } of queryParams) {
        // A constrained parameter (pattern or fixed values) refuses any odd value; a free
        // filter (a list of ids, say) refuses what no filter can be: nothing, or too much.
        const constrained = schema.pattern !== undefined || schema.anyOf !== undefined || schema.enum !== undefined;
        const values = constrained ? ['%ZZ', '', 'x'.repeat(300), '-1', '[]'] : ['', 'x'.repeat((schema.maxLength ?? 4096) + 1)];
        for (const value of values) {
          cases.push({ name: `${label} with ${name}=${value.slice(0, 12)}`, request: { method: verb, url: `${target}?${name}=${value}` }, status: 400 });
        }
      }
      if (queries.includes('after')) {
        for (const cursor of ['AAAA', 'Zm9v', 'MS4y=', 'MTIzNDU2Nzg5MDEyMzQ1Njc4OTAuMQ']) {
          cases.push({ name: `${label} with the cursor ${cursor}`, request: { method: verb, url: `${target}?after=${cursor}` }, status: 400 });
        }
      }
      if (queries.length > 0) cases.push({ name: `${label} with an unknown parameter`, request: { method: verb, url: `${target}?page=2` }, status: 400 });
      const body = operation.requestBody?.content['application/json']?.schema;
      if (!body) continue;
      const post = (payload: string, headers: Record<string, string> = json): InjectOptions => ({ method: verb, url: target, headers, payload });
      cases.push({ name: `${label} with malformed JSON`, request: post('{"registry": '), status: 400 });
      cases.push({ name: `${label} with a JSON string`, request: post('"text"'), status: 400 });
      cases.push({ name: `${label} with null`, request: post('null'), status: 400 });
      cases.push({ name: `${label} with an empty body`, request: post(''), status: 400 });
      cases.push({ name: `${label} with invalid UTF-8`, request: { method: verb, url: target, headers: json, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, status: 400 });
      cases.push({ name: `${label} nested 5,000 deep`, request: post(nested(5_000)), status: 400 });
      cases.push({ name: `${label} over 64 KiB`, request: post(JSON.stringify({ ...validBody, tags: ['x'.repeat(70 * 1024)] })), status: 413 });
      cases.push({ name: `${label} as text/plain`, request: post(JSON.stringify(validBody), { 'content-type': 'text/plain' }), status: 415 });
      cases.push({ name: `${label} as XML`, request: post('<config/>', { 'content-type': 'application/xml' }), status: 415 });
      cases.push({ name: `${label} with __proto__`, request: post(`{"__proto__":{"admin":true},${JSON.stringify(validBody).slice(1)}`), status: 400 });
      for (const [field, schema] of Object.entries(body.properties ?? {})) {
        const types = typesOf(schema);
        assert.ok(types.length > 0, `${field} has a type`);
        for (const value of wrongValues(types)) {
          cases.push({ name: `${label} with ${field} as ${JSON.stringify(value)}`, request: post(JSON.stringify({ ...validBody, [field]: value })), status: 400 });
        }
      }
    }
  }
  return cases;
}

function checkProblem(status: number, contentType: unknown, body: string, expected: number | null): void {
  if (expected === null) assert.ok(status >= 400 && status < 500, 'a 4xx');
  else assert.equal(status, expected);
  assert.equal(contentType, 'application/problem+json; charset=utf-8');
  const problem = JSON.parse(body);
  assert.match(problem.type, /^urn:ecrscan:problem:[a-z-]+$/);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.title, 'string');
  assert.ok(typeof problem.detail === 'string' && problem.detail.length > 0 && problem.detail.length < 1000, 'a short detail');
  assert.doesNotMatch(body, /at .*\.(ts|js):[0-9]+/, 'no stack trace');
}

for (const dialect of await databases()) {
  describe(`every route fuzzed on ${dialect.name}`, () => {
    let service: TestService;
    let knownId: string;
    let document: OpenApiDocument;
    const validBody = { region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] };
    before(async () => {
      service = await createTestService(await dialect.openStore());
      knownId = (await service.app.inject({ method: 'POST', url: '/configs/', headers: json, payload: JSON.stringify(validBody) })).json().id;
      document = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    });
    after(() => service.close());

    it('answers every malformed request with a problem document and changes nothing', async () => {
      const cases = casesOf(document, knownId, validBody);
      assert.ok(Object.keys(document.paths).length >= 8, 'the document lists the routes');
      assert.ok(cases.length > 100, `${cases.length} cases`);
      const revision = await service.store.revision();
      const configs = (await service.app.inject({ method: 'GET', url: '/configs/' })).body;
      const failures: string[] = [];
      for (const testCase of cases) {
        const response = await service.app.inject(testCase.request);
        try {
          checkProblem(response.statusCode, response.headers['content-type'], response.body, testCase.status);
        } catch (err) {
          failures.push(`${testCase.name}: ${(err as Error).message.split('\n')[0]} — ${response.statusCode} ${response.body.slice(0, 200)}`);
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(await service.store.revision(), revision, 'the store did not change');
      assert.equal((await service.app.inject({ method: 'GET', url: '/configs/' })).body, configs);
    });
  });
}
