import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { InjectOptions } from 'fastify';
import { sha256Of } from '../src/http/tokens.js';
import { createInventoryCache, createInventoryReader } from '../src/scanners/builtin/inventory-cache.js';
import { createAdvisoryControl } from '../src/scanners/builtin/osv/advisory-control.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { databases } from './support/databases.js';
import { createFakeClock } from './support/fake-clock.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

const ADMIN = 'contract-admin-token-0123';
const READER = 'contract-reader-token-0123';
const JSON_HEADERS = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const AUTH = { authorization: `Bearer ${ADMIN}` };
const READ_ONLY = { authorization: `Basic ${Buffer.from(`feeds:${READER}`).toString('base64')}` };
const UNKNOWN_ID = '4471c156-29f5-40fe-883b-3cd26738d5a6';
const WEBHOOK = { url: 'https://hooks.example.com/services/T000/B000/XXXX', format: 'slack', description: 'security channel' };
const SUPPRESSION = { id: 'contract-1', vulnerability: 'CVE-2019-1001', status: 'accepted_risk', reason: 'behind the proxy', expiresAt: '2099-01-01T00:00:00Z' };
const VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://openvex.dev/docs/example/vex-contract',
  author: 'contract test',
  timestamp: '2026-11-27T10:00:00Z',
  version: 1,
  statements: [{ vulnerability: { name: 'CVE-2019-2000' }, products: [{ '@id': 'pkg:deb/debian/openssl@1.0' }], status: 'not_affected', justification: 'component_not_present' }],
};
// An image digest with a kept inventory, and one without.
const KEPT = `sha256:${'c'.repeat(64)}`;
const NOT_KEPT = `sha256:${'d'.repeat(64)}`;
const INVENTORY = {
  os: { id: 'debian', versionId: '12', prettyName: null },
  packages: [{ ecosystem: 'Debian:12', name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib', sourceVersion: '1:1.2.13.dfsg-1', path: 'var/lib/dpkg/status' }],
  analysers: { dpkg: '1' },
  unsupported: [],
  unsettled: [],
  advisoryGaps: [],
};
const ECR_BODY = { region: 'us-west-2', registry: '123456789012', repository: 'test/centos', tags: ['7'] };

interface Exchange {
  /** The operation as the document names it. */
  operation: `${Method} ${string}`;
  /** The request, or how to make it when it depends on the state just before (a current ETag). */
  request: InjectOptions | (() => Promise<InjectOptions>);
  status: number;
  /** Run against a store that fails every call. */
  failing?: boolean;
  /** Run while no advisory source is configured. */
  noAdvisorySources?: boolean;
}

/**
 * Every documented request, with the answers it can get. A new route, or a new answer of
 * a route, is not covered until it is listed here: the test fails on the gap.
 */
function exchanges(ids: { config: string; spare: string; subscription: string; spareSubscription: string }, etagOf: (url: string) => Promise<string>): Exchange[] {
  const { config, spare, subscription, spareSubscription } = ids;
  const big = JSON.stringify({ ...ECR_BODY, tags: ['a'.repeat(70 * 1024)] });
  return [
    { operation: 'GET /configs', request: { method: 'GET', url: '/configs', headers: AUTH }, status: 200 },
    { operation: 'GET /configs', request: { method: 'GET', url: '/configs?state=x', headers: AUTH }, status: 400 },
    { operation: 'GET /configs', request: { method: 'GET', url: '/configs' }, status: 401 },
    { operation: 'GET /configs', request: { method: 'GET', url: '/configs', headers: AUTH }, status: 500, failing: true },

    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: { registry: 'ghcr.io', repository: 'acme/new' } }, status: 201 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: { ...ECR_BODY, scanner: 'clair' } }, status: 400 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: ECR_BODY }, status: 401 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: ECR_BODY }, status: 403 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: big }, status: 413 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'POST /configs', request: { method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: ECR_BODY }, status: 500, failing: true },

    { operation: 'GET /configs/{id}', request: { method: 'GET', url: `/configs/${config}`, headers: AUTH }, status: 200 },
    { operation: 'GET /configs/{id}', request: { method: 'GET', url: `/configs/${config}?verbose=1`, headers: AUTH }, status: 400 },
    { operation: 'GET /configs/{id}', request: { method: 'GET', url: `/configs/${config}` }, status: 401 },
    { operation: 'GET /configs/{id}', request: { method: 'GET', url: '/configs/e7c3b83c-b995-44d3-942b-8b1001f33ae', headers: AUTH }, status: 404 },
    { operation: 'GET /configs/{id}', request: { method: 'GET', url: `/configs/${config}`, headers: AUTH }, status: 500, failing: true },

    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: JSON_HEADERS, payload: { schedule: '12h' } }, status: 200 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: JSON_HEADERS, payload: { repository: 'other' } }, status: 400 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: { 'content-type': 'application/json' }, payload: {} }, status: 401 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: {} }, status: 403 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${UNKNOWN_ID}`, headers: JSON_HEADERS, payload: {} }, status: 404 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: JSON_HEADERS, payload: big }, status: 413 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' }, status: 415 },
    { operation: 'PATCH /configs/{id}', request: { method: 'PATCH', url: `/configs/${config}`, headers: JSON_HEADERS, payload: {} }, status: 500, failing: true },

    { operation: 'POST /configs/{id}/scan', request: { method: 'POST', url: `/configs/${config}/scan`, headers: AUTH }, status: 202 },
    { operation: 'POST /configs/{id}/scan', request: { method: 'POST', url: `/configs/${config}/scan` }, status: 401 },
    { operation: 'POST /configs/{id}/scan', request: { method: 'POST', url: `/configs/${config}/scan`, headers: READ_ONLY }, status: 403 },
    { operation: 'POST /configs/{id}/scan', request: { method: 'POST', url: '/configs/42/scan', headers: AUTH }, status: 404 },
    { operation: 'POST /configs/{id}/scan', request: { method: 'POST', url: `/configs/${config}/scan`, headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /summary', request: { method: 'GET', url: '/summary', headers: AUTH }, status: 200 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary', headers: { ...READ_ONLY, accept: 'application/json' } }, status: 200 },
    {
      operation: 'GET /summary',
      request: async () => ({ method: 'GET', url: '/summary?format=json', headers: { ...AUTH, 'if-none-match': await etagOf('/summary?format=json') } }),
      status: 304,
    },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary?format=json&repository=*&severity=HIGH,low&status=complete&limit=1', headers: AUTH }, status: 200 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary?format=json&images=false', headers: AUTH }, status: 200 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary?repository=*&limit=1', headers: AUTH }, status: 200 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary?after=AAAA', headers: AUTH }, status: 400 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary?format=yaml', headers: AUTH }, status: 400 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary' }, status: 401 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary', headers: { ...AUTH, accept: 'image/png' } }, status: 406 },
    { operation: 'GET /summary', request: { method: 'GET', url: '/summary', headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /history', request: { method: 'GET', url: '/history', headers: AUTH }, status: 200 },
    { operation: 'GET /history', request: { method: 'GET', url: '/history?days=90', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /history', request: { method: 'GET', url: '/history?days=0', headers: AUTH }, status: 400 },
    { operation: 'GET /history', request: { method: 'GET', url: '/history' }, status: 401 },
    { operation: 'GET /history', request: { method: 'GET', url: '/history', headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?severity=high&limit=2`, headers: { ...AUTH, accept: 'application/json' } }, status: 200 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?format=sarif`, headers: AUTH }, status: 200 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?format=csv&severity=high`, headers: AUTH }, status: 200 },
    {
      operation: 'GET /findings/{id}',
      request: async () => ({ method: 'GET', url: `/findings/${config}`, headers: { ...AUTH, 'if-none-match': await etagOf(`/findings/${config}`) } }),
      status: 304,
    },
    {
      operation: 'GET /findings/{id}',
      request: { method: 'GET', url: `/findings/${config}?sort=risk&fixable=true&minEpss=0&severity=HIGH,critical&limit=1`, headers: { ...AUTH, accept: 'application/json' } },
      status: 200,
    },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?kev=true&sort=risk`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?limit=0`, headers: AUTH }, status: 400 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?minEpss=2`, headers: AUTH }, status: 400 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?sort=worst`, headers: AUTH }, status: 400 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}` }, status: 401 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${UNKNOWN_ID}`, headers: AUTH }, status: 404 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}`, headers: { ...AUTH, accept: 'text/csv' } }, status: 406 },
    { operation: 'GET /findings/{id}', request: { method: 'GET', url: `/findings/${config}?format=json`, headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom?format=spdx`, headers: AUTH }, status: 200 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom`, headers: { ...AUTH, accept: 'application/spdx+json' } }, status: 200 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom?format=swid`, headers: AUTH }, status: 400 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: '/images/sha256:c7/sbom', headers: AUTH }, status: 400 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom` }, status: 401 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${NOT_KEPT}/sbom`, headers: AUTH }, status: 404 },
    { operation: 'GET /images/{digest}/sbom', request: { method: 'GET', url: `/images/${KEPT}/sbom`, headers: { ...AUTH, accept: 'image/png' } }, status: 406 },

    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom?format=cyclonedx`, headers: AUTH }, status: 200 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom?format=spdx`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom?format=xml`, headers: AUTH }, status: 400 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom` }, status: 401 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/8/sbom`, headers: AUTH }, status: 404 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${UNKNOWN_ID}/images/7/sbom`, headers: AUTH }, status: 404 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom`, headers: { ...AUTH, accept: 'text/csv' } }, status: 406 },
    { operation: 'GET /configs/{id}/images/{tag}/sbom', request: { method: 'GET', url: `/configs/${config}/images/7/sbom`, headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /events', request: { method: 'GET', url: '/events?type=finding.new&severity=high', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /events', request: { method: 'GET', url: '/events?kev=true&fixable=true&minEpss=0.5', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /events', request: { method: 'GET', url: '/events?minEpss=high', headers: READ_ONLY }, status: 400 },
    { operation: 'GET /events', request: { method: 'GET', url: '/events?type=finding.lost', headers: AUTH }, status: 400 },
    { operation: 'GET /events', request: { method: 'GET', url: '/events' }, status: 401 },
    { operation: 'GET /events', request: { method: 'GET', url: '/events', headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events?limit=1`, headers: { ...AUTH, accept: 'application/json' } }, status: 200 },
    {
      operation: 'GET /findings/{id}/events',
      request: async () => ({ method: 'GET', url: `/findings/${config}/events`, headers: { ...AUTH, 'if-none-match': await etagOf(`/findings/${config}/events`) } }),
      status: 304,
    },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events?limit=many`, headers: AUTH }, status: 400 },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events` }, status: 401 },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${UNKNOWN_ID}/events`, headers: AUTH }, status: 404 },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events`, headers: { ...AUTH, accept: 'text/csv' } }, status: 406 },
    { operation: 'GET /findings/{id}/events', request: { method: 'GET', url: `/findings/${config}/events?format=json`, headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /subscriptions', request: { method: 'GET', url: '/subscriptions', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /subscriptions', request: { method: 'GET', url: '/subscriptions?active=1', headers: AUTH }, status: 400 },
    { operation: 'GET /subscriptions', request: { method: 'GET', url: '/subscriptions' }, status: 401 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: JSON_HEADERS, payload: WEBHOOK }, status: 201 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: JSON_HEADERS, payload: { ...WEBHOOK, format: 'xml' } }, status: 400 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: { 'content-type': 'application/json' }, payload: WEBHOOK }, status: 401 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: WEBHOOK }, status: 403 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: JSON_HEADERS, payload: JSON.stringify({ ...WEBHOOK, description: 'x'.repeat(70 * 1024) }) }, status: 413 },
    { operation: 'POST /subscriptions', request: { method: 'POST', url: '/subscriptions', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'GET /subscriptions/{id}', request: { method: 'GET', url: `/subscriptions/${subscription}`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /subscriptions/{id}', request: { method: 'GET', url: `/subscriptions/${subscription}` }, status: 401 },
    { operation: 'GET /subscriptions/{id}', request: { method: 'GET', url: `/subscriptions/${UNKNOWN_ID}`, headers: AUTH }, status: 404 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: JSON_HEADERS, payload: { description: 'renamed' } }, status: 200 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: JSON_HEADERS, payload: { digest: 'weekly-ish' } }, status: 400 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: { 'content-type': 'application/json' }, payload: {} }, status: 401 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: {} }, status: 403 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${UNKNOWN_ID}`, headers: JSON_HEADERS, payload: {} }, status: 404 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: JSON_HEADERS, payload: JSON.stringify({ description: 'x'.repeat(70 * 1024) }) }, status: 413 },
    { operation: 'PATCH /subscriptions/{id}', request: { method: 'PATCH', url: `/subscriptions/${subscription}`, headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'POST /subscriptions/{id}/test', request: { method: 'POST', url: `/subscriptions/${subscription}/test`, headers: AUTH }, status: 202 },
    { operation: 'POST /subscriptions/{id}/test', request: { method: 'POST', url: `/subscriptions/${subscription}/test` }, status: 401 },
    { operation: 'POST /subscriptions/{id}/test', request: { method: 'POST', url: `/subscriptions/${subscription}/test`, headers: READ_ONLY }, status: 403 },
    { operation: 'POST /subscriptions/{id}/test', request: { method: 'POST', url: `/subscriptions/${UNKNOWN_ID}/test`, headers: AUTH }, status: 404 },
    { operation: 'GET /subscriptions/{id}/deliveries', request: { method: 'GET', url: `/subscriptions/${subscription}/deliveries?limit=5`, headers: READ_ONLY }, status: 200 },
    { operation: 'GET /subscriptions/{id}/deliveries', request: { method: 'GET', url: `/subscriptions/${subscription}/deliveries?limit=500`, headers: AUTH }, status: 400 },
    { operation: 'GET /subscriptions/{id}/deliveries', request: { method: 'GET', url: `/subscriptions/${subscription}/deliveries` }, status: 401 },
    { operation: 'GET /subscriptions/{id}/deliveries', request: { method: 'GET', url: `/subscriptions/${UNKNOWN_ID}/deliveries`, headers: AUTH }, status: 404 },
    { operation: 'DELETE /subscriptions/{id}', request: { method: 'DELETE', url: `/subscriptions/${spareSubscription}`, headers: AUTH }, status: 204 },
    { operation: 'DELETE /subscriptions/{id}', request: { method: 'DELETE', url: `/subscriptions/${subscription}` }, status: 401 },
    { operation: 'DELETE /subscriptions/{id}', request: { method: 'DELETE', url: `/subscriptions/${subscription}`, headers: READ_ONLY }, status: 403 },
    { operation: 'DELETE /subscriptions/{id}', request: { method: 'DELETE', url: `/subscriptions/${spareSubscription}`, headers: AUTH }, status: 404 },

    { operation: 'GET /suppressions', request: { method: 'GET', url: '/suppressions', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /suppressions', request: { method: 'GET', url: '/suppressions?state=active', headers: AUTH }, status: 400 },
    { operation: 'GET /suppressions', request: { method: 'GET', url: '/suppressions' }, status: 401 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: SUPPRESSION }, status: 201 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: { ...SUPPRESSION, id: 'contract-2', expiresAt: null } }, status: 201 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: { ...SUPPRESSION, status: 'ignored' } }, status: 400 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: { 'content-type': 'application/json' }, payload: SUPPRESSION }, status: 401 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: SUPPRESSION }, status: 403 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: { ...SUPPRESSION, id: 'contract-1' } }, status: 409 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: JSON.stringify({ ...SUPPRESSION, reason: 'x'.repeat(70 * 1024) }) }, status: 413 },
    { operation: 'POST /suppressions', request: { method: 'POST', url: '/suppressions', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'GET /suppressions/{id}', request: { method: 'GET', url: '/suppressions/contract-1', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /suppressions/{id}', request: { method: 'GET', url: '/suppressions/contract-1?v=1', headers: AUTH }, status: 400 },
    { operation: 'GET /suppressions/{id}', request: { method: 'GET', url: '/suppressions/contract-1' }, status: 401 },
    { operation: 'GET /suppressions/{id}', request: { method: 'GET', url: `/suppressions/${UNKNOWN_ID}`, headers: AUTH }, status: 404 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: JSON_HEADERS, payload: { reason: 'still behind the proxy' } }, status: 200 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: JSON_HEADERS, payload: { justification: 'component_not_present' } }, status: 400 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: { 'content-type': 'application/json' }, payload: {} }, status: 401 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: {} }, status: 403 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: `/suppressions/${UNKNOWN_ID}`, headers: JSON_HEADERS, payload: { reason: 'x' } }, status: 404 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: JSON_HEADERS, payload: JSON.stringify({ reason: 'x'.repeat(70 * 1024) }) }, status: 413 },
    { operation: 'PATCH /suppressions/{id}', request: { method: 'PATCH', url: '/suppressions/contract-1', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'DELETE /suppressions/{id}', request: { method: 'DELETE', url: '/suppressions/contract-2', headers: AUTH }, status: 204 },
    { operation: 'DELETE /suppressions/{id}', request: { method: 'DELETE', url: '/suppressions/contract-1' }, status: 401 },
    { operation: 'DELETE /suppressions/{id}', request: { method: 'DELETE', url: '/suppressions/contract-1', headers: READ_ONLY }, status: 403 },
    { operation: 'DELETE /suppressions/{id}', request: { method: 'DELETE', url: '/suppressions/contract-2', headers: AUTH }, status: 404 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: JSON_HEADERS, payload: VEX }, status: 200 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: JSON_HEADERS, payload: { ...VEX, statements: [{ vulnerability: { name: 'CVE-2019-1000' }, status: 'not_affected' }] } }, status: 400 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: { 'content-type': 'application/json' }, payload: VEX }, status: 401 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: { ...READ_ONLY, 'content-type': 'application/json' }, payload: VEX }, status: 403 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: JSON_HEADERS, payload: JSON.stringify({ ...VEX, tooling: 'x'.repeat(70 * 1024) }) }, status: 413 },
    { operation: 'POST /vex', request: { method: 'POST', url: '/vex', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'x' }, status: 415 },
    { operation: 'GET /vex', request: { method: 'GET', url: '/vex', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /vex', request: { method: 'GET', url: '/vex?format=csaf', headers: AUTH }, status: 400 },
    { operation: 'GET /vex', request: { method: 'GET', url: '/vex' }, status: 401 },

    { operation: 'DELETE /configs/{id}', request: { method: 'DELETE', url: `/configs/${spare}`, headers: AUTH }, status: 204 },
    { operation: 'DELETE /configs/{id}', request: { method: 'DELETE', url: `/configs/${config}` }, status: 401 },
    { operation: 'DELETE /configs/{id}', request: { method: 'DELETE', url: `/configs/${config}`, headers: READ_ONLY }, status: 403 },
    { operation: 'DELETE /configs/{id}', request: { method: 'DELETE', url: `/configs/${spare}`, headers: AUTH }, status: 404 },
    { operation: 'DELETE /configs/{id}', request: { method: 'DELETE', url: `/configs/${config}`, headers: AUTH }, status: 500, failing: true },

    { operation: 'GET /advisories', request: { method: 'GET', url: '/advisories', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /advisories', request: { method: 'GET', url: '/advisories?source=osv', headers: AUTH }, status: 400 },
    { operation: 'GET /advisories', request: { method: 'GET', url: '/advisories' }, status: 401 },
    { operation: 'POST /advisories/import', request: { method: 'POST', url: '/advisories/import', headers: AUTH }, status: 200 },
    { operation: 'POST /advisories/import', request: { method: 'POST', url: '/advisories/import?wait=0', headers: AUTH }, status: 400 },
    { operation: 'POST /advisories/import', request: { method: 'POST', url: '/advisories/import' }, status: 401 },
    { operation: 'POST /advisories/import', request: { method: 'POST', url: '/advisories/import', headers: READ_ONLY }, status: 403 },
    { operation: 'POST /advisories/import', request: { method: 'POST', url: '/advisories/import', headers: AUTH }, status: 409, noAdvisorySources: true },
    { operation: 'GET /advisories', request: { method: 'GET', url: '/advisories', headers: AUTH }, status: 200 },

    { operation: 'GET /healthz', request: { method: 'GET', url: '/healthz' }, status: 200 },
    { operation: 'GET /healthz', request: { method: 'GET', url: '/healthz?deep=1' }, status: 400 },
    { operation: 'GET /readyz', request: { method: 'GET', url: '/readyz' }, status: 200 },
    { operation: 'GET /readyz', request: { method: 'GET', url: '/readyz?deep=1' }, status: 400 },
    { operation: 'GET /readyz', request: { method: 'GET', url: '/readyz' }, status: 503, failing: true },
    { operation: 'GET /metrics', request: { method: 'GET', url: '/metrics', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /metrics', request: { method: 'GET', url: '/metrics?x=1', headers: AUTH }, status: 400 },
    { operation: 'GET /metrics', request: { method: 'GET', url: '/metrics' }, status: 401 },
    { operation: 'GET /metrics', request: { method: 'GET', url: '/metrics', headers: AUTH }, status: 500, failing: true },
    { operation: 'GET /openapi.json', request: { method: 'GET', url: '/openapi.json', headers: READ_ONLY }, status: 200 },
    { operation: 'GET /openapi.json', request: { method: 'GET', url: '/openapi.json?v=2', headers: AUTH }, status: 400 },
    { operation: 'GET /openapi.json', request: { method: 'GET', url: '/openapi.json' }, status: 401 },
  ];
}

/** The store, or, while `failing` is set, one whose every call fails as a lost database would. */
function breakableStore(store: Store): { store: Store; setFailing(on: boolean): void } {
  let failing = false;
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (!failing || typeof value !== 'function' || property === 'close') return value;
      return () => Promise.reject(new Error('the database went away'));
    },
  });
  return { store: proxy, setFailing: (on) => (failing = on) };
}

function templateOf(operation: string): { method: string; pattern: RegExp; path: string } {
  const [method = '', path = ''] = operation.split(' ');
  return { method: method.toLowerCase(), path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`) };
}

const [sqlite] = await databases();

describe('the OpenAPI document against real answers', () => {
  let service: TestService;
  let breakable: ReturnType<typeof breakableStore>;
  let document: Json;
  let ajv: Ajv2020;
  let cases: Exchange[];
  let dir: string;
  // The configured advisory sources: emptied for the requests that need none.
  const advisorySources: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-contract-'));
    const records = join(dir, 'records');
    await mkdir(records);
    await writeFile(
      join(records, 'DEBIAN-CVE-2026-1.json'),
      JSON.stringify({
        schema_version: '1.6.0',
        id: 'DEBIAN-CVE-2026-1',
        modified: '2026-11-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }],
      }),
    );
    advisorySources.push(records);
    const { store, db } = await openDatabase(await sqlite!.createDatabase());
    breakable = breakableStore(store);
    const inventories = createInventoryCache(db, { clock: createFakeClock() });
    for (const digest of [KEPT, 'sha256:c7']) await inventories.put({ digest, platform: 'linux/amd64', analysers: INVENTORY.analysers }, digest, INVENTORY);
    const advisories = createAdvisoryControl({ db, sources: advisorySources, maxAgeMs: 48 * 3_600_000, clock: createFakeClock(), dataDir: dir });
    service = await createTestService(breakable.store, {
      advisories,
      inventories: createInventoryReader(db),
      tokens: [
        { name: 'feeds', role: 'read', sha256: sha256Of(READER) },
        { name: 'admin', role: 'admin', sha256: sha256Of(ADMIN) },
      ],
    });
    service.scanner.setRepository('test/centos', {
      tags: { '7': 'sha256:c7' },
      findings: { 'sha256:c7': [finding('CVE-2019-1000', 'HIGH'), finding('CVE-2019-1001', 'HIGH'), finding('CVE-2019-2000', 'LOW')] },
    });
    const created = await service.app.inject({ method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: ECR_BODY });
    const spare = await service.app.inject({ method: 'POST', url: '/configs', headers: JSON_HEADERS, payload: { registry: 'ghcr.io', repository: 'acme/spare' } });
    await service.scheduler.runDue();
    const config = created.json().id as string;
    const etagOf = async (url: string): Promise<string> => String((await service.app.inject({ method: 'GET', url, headers: AUTH })).headers.etag);
    const subscribe = async (): Promise<string> => {
      const created = await service.app.inject({ method: 'POST', url: '/subscriptions', headers: JSON_HEADERS, payload: WEBHOOK });
      assert.equal(created.statusCode, 201, created.body);
      return created.json().id as string;
    };
    cases = exchanges({ config, spare: spare.json().id, subscription: await subscribe(), spareSubscription: await subscribe() }, etagOf);
    document = (await service.app.inject({ method: 'GET', url: '/openapi.json', headers: AUTH })).json();
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    // Response schemas refer to #/components/…: the document is added whole, and refs rebased onto it.
    ajv.addSchema({ components: document['components'] }, 'openapi.json');
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  function operationOf(exchange: Exchange, request: InjectOptions): Json {
    const { method, path } = templateOf(exchange.operation);
    const operation = ((document['paths'] as Json)[path] as Json | undefined)?.[method] as Json | undefined;
    assert.ok(operation, `${exchange.operation} is documented`);
    assert.ok(templateOf(exchange.operation).pattern.test(String(request.url).split('?')[0] ?? ''), `${request.url} is a ${path}`);
    return operation;
  }

  function validate(schema: unknown, value: unknown, where: string): void {
    const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')) as Json;
    const check = ajv.compile(rebased);
    assert.ok(check(value), `${where}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
  }

  it('answers every documented request as documented: status, content type and body', async () => {
    for (const exchange of cases) {
      const request = typeof exchange.request === 'function' ? await exchange.request() : exchange.request;
      const where = `${exchange.operation} → ${exchange.status} (${request.url})`;
      const operation = operationOf(exchange, request);
      breakable.setFailing(exchange.failing === true);
      const sources = advisorySources.splice(0, exchange.noAdvisorySources ? advisorySources.length : 0);
      const response = await service.app.inject(request).finally(() => {
        breakable.setFailing(false);
        advisorySources.push(...sources);
      });
      assert.equal(response.statusCode, exchange.status, `${where}: ${response.body.slice(0, 300)}`);
      const documented = (operation['responses'] as Json)[String(response.statusCode)] as Json | undefined;
      assert.ok(documented, `${where}: the status is documented`);
      const content = documented['content'] as Record<string, { schema: unknown }> | undefined;
      if (response.statusCode === 204 || response.statusCode === 304) {
        assert.equal(response.body, '', where);
        continue;
      }
      assert.ok(content, `${where}: a body is documented`);
      const mediaType = String(response.headers['content-type']).split(';')[0]!.trim();
      const entry = content[mediaType];
      assert.ok(entry, `${where}: ${mediaType} is one of the documented types ${Object.keys(content).join(', ')}`);
      const body: unknown = /json$/.test(mediaType) ? response.json() : response.body;
      validate(entry.schema, body, where);
    }
  });

  it('lists a request for every documented answer but 500', () => {
    const exercised = new Set(cases.map((exchange) => `${exchange.operation} ${exchange.status}`));
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(document['paths'] as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const status of Object.keys((operation as Json)['responses'] as Json)) {
          const key = `${method.toUpperCase()} ${path} ${status}`;
          if (status !== '500' && !exercised.has(key)) missing.push(key);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('answers a method a path does not have with a problem document and Allow', async () => {
    const response = await service.app.inject({ method: 'PUT', url: '/configs', headers: AUTH });
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.ok(response.headers.allow);
    validate({ $ref: '#/components/schemas/Problem' }, response.json(), 'PUT /configs');
  });
});
