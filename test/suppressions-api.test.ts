import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { createLogger } from '../src/logger.js';
import { startSuppressionExpiry } from '../src/triage/suppression-expiry.js';
import { databases, type TestDialect } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
const HOUR_MS = 3_600_000;

interface FindingJson {
  name: string;
  package: string | null;
  tag: string;
  status: string;
  suppression: { id: string; status: string; reason: string; expiresAt: string | null } | null;
}

interface EventJson {
  type: string;
  configId: string;
  runId: string | null;
  tag?: string | null;
  finding?: { name: string };
  suppression?: { id: string; vulnerability: string };
  affectedFindings?: number;
}

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(`./fixtures/openvex/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

for (const dialect of await databases()) {
  describe(`suppressions on ${dialect.name}`, () => {
    /** Two configurations: team/api with two tags and team/web, with Debian-style findings that alias CVEs. */
    async function setUp(t: TestContext, d: TestDialect = dialect): Promise<{ service: TestService; api: string; web: string }> {
      const service = await createTestService(await d.openStore());
      t.after(() => service.close());
      const debian = [
        finding('DEBIAN-CVE-2024-1234', 'HIGH', { aliases: ['CVE-2024-1234'] }),
        finding('CVE-2024-9999', 'LOW', { package: 'zlib', aliases: ['GHSA-aaaa-bbbb-cccc'] }),
        finding('CVE-2024-5555', 'CRITICAL', { package: 'curl' }),
      ];
      service.scanner.setRepository('team/api', { tags: { '1.0': 'sha256:a1', '2.0': 'sha256:a2' }, findings: { 'sha256:a1': debian, 'sha256:a2': debian } });
      service.scanner.setRepository('team/web', { tags: { main: 'sha256:w1' }, findings: { 'sha256:w1': debian } });
      const api = await register(service, 'team/api');
      const web = await register(service, 'team/web');
      await service.scheduler.runDue();
      return { service, api, web };
    }

    async function register(service: TestService, repository: string): Promise<string> {
      const created = await service.app.inject({ method: 'POST', url: '/configs/', headers: JSON_HEADERS, payload: { registry: 'registry.example:5000', repository, tags: null } });
      assert.equal(created.statusCode, 201, created.body);
      return created.json<{ id: string }>().id;
    }

    async function get<T>(service: TestService, url: string): Promise<T> {
      const response = await service.app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<T>();
    }

    /** Every severity's total, zeros included (the summary leaves them out). */
    async function totals(service: TestService): Promise<Record<string, number>> {
      const counted = (await get<{ totals: Record<string, number> }>(service, '/summary?format=json')).totals;
      return Object.fromEntries(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'].map((severity) => [severity, counted[severity] ?? 0]));
    }

    async function findingsOf(service: TestService, configId: string, status = 'active'): Promise<FindingJson[]> {
      return (await get<{ findings: FindingJson[] }>(service, `/findings/${configId}?format=json&status=${status}`)).findings;
    }

    async function feedEntries(service: TestService, configId: string): Promise<string[]> {
      const response = await service.app.inject({ method: 'GET', url: `/findings/${configId}` });
      assert.equal(response.statusCode, 200, response.body);
      const doc = new DOMParser().parseFromString(response.body, 'application/xml');
      return Array.from(doc.getElementsByTagName('entry')).map((entry) => entry.getElementsByTagName('title')[0]?.textContent ?? '');
    }

    async function suppress(service: TestService, body: Record<string, unknown>): Promise<{ id: string }> {
      const created = await service.app.inject({ method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: body });
      assert.equal(created.statusCode, 201, created.body);
      return created.json<{ id: string }>();
    }

    async function suppressionEvents(service: TestService): Promise<EventJson[]> {
      return (await get<{ events: EventJson[] }>(service, '/events?type=suppression.created,suppression.updated,suppression.expired,suppression.deleted')).events;
    }

    it('suppresses by alias: the finding leaves counts and the feed, stays listable as suppressed, and comes back on delete', async (t) => {
      const { service, api, web } = await setUp(t);
      assert.deepEqual(await totals(service), { CRITICAL: 3, HIGH: 3, MEDIUM: 0, LOW: 3, INFORMATIONAL: 0, UNDEFINED: 0 });
      assert.equal((await feedEntries(service, api)).length, 6);

      const created = await suppress(service, { vulnerability: 'CVE-2024-1234', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'TLS is terminated at the proxy' });
      assert.deepEqual(await totals(service), { CRITICAL: 3, HIGH: 0, MEDIUM: 0, LOW: 3, INFORMATIONAL: 0, UNDEFINED: 0 });
      const feed = await feedEntries(service, api);
      assert.equal(feed.length, 4);
      assert.ok(feed.every((title) => !title.includes('DEBIAN-CVE-2024-1234')), feed.join('\n'));
      assert.deepEqual((await findingsOf(service, api)).map((f) => f.name).sort(), ['CVE-2024-5555', 'CVE-2024-5555', 'CVE-2024-9999', 'CVE-2024-9999']);
      const suppressed = await findingsOf(service, api, 'suppressed');
      assert.deepEqual(suppressed.map((f) => [f.name, f.tag, f.status, f.suppression?.id, f.suppression?.reason]), [
        ['DEBIAN-CVE-2024-1234', '2.0', 'SUPPRESSED', created.id, 'TLS is terminated at the proxy'],
        ['DEBIAN-CVE-2024-1234', '1.0', 'SUPPRESSED', created.id, 'TLS is terminated at the proxy'],
      ].sort((a, b) => String(b[1]).localeCompare(String(a[1]))));
      assert.equal((await findingsOf(service, api, 'all')).length, 6);

      // A GHSA alias suppresses too, and one event per configuration says how many findings it took.
      const ghsa = await suppress(service, { vulnerability: 'GHSA-aaaa-bbbb-cccc', repository: 'team/w*', status: 'accepted_risk', reason: 'zlib is not reachable' });
      assert.deepEqual(await totals(service), { CRITICAL: 3, HIGH: 0, MEDIUM: 0, LOW: 2, INFORMATIONAL: 0, UNDEFINED: 0 });
      const events = await suppressionEvents(service);
      assert.deepEqual(
        events.map((event) => [event.type, event.configId, event.suppression?.vulnerability, event.affectedFindings]).sort(),
        [
          ['suppression.created', api, 'CVE-2024-1234', 2],
          ['suppression.created', web, 'CVE-2024-1234', 1],
          ['suppression.created', web, 'GHSA-aaaa-bbbb-cccc', 1],
        ].sort(),
      );

      const suppressedEvents = (await get<{ events: EventJson[] }>(service, '/events?type=finding.suppressed')).events;
      assert.deepEqual(suppressedEvents.map((event) => [event.configId, event.tag, event.finding?.name, event.suppression?.id ?? null]).sort(), [
        [api, '1.0', 'DEBIAN-CVE-2024-1234', created.id],
        [api, '2.0', 'DEBIAN-CVE-2024-1234', created.id],
        [web, 'main', 'CVE-2024-9999', ghsa.id],
        [web, 'main', 'DEBIAN-CVE-2024-1234', created.id],
      ].sort());

      const deleted = await service.app.inject({ method: 'DELETE', url: `/suppressions/${created.id}` });
      assert.equal(deleted.statusCode, 204);
      assert.deepEqual(await totals(service), { CRITICAL: 3, HIGH: 3, MEDIUM: 0, LOW: 2, INFORMATIONAL: 0, UNDEFINED: 0 });
      assert.equal((await feedEntries(service, api)).length, 6);
      assert.deepEqual((await suppressionEvents(service)).slice(3).map((event) => [event.type, event.configId, event.affectedFindings]).sort(), [
        ['suppression.deleted', api, 2],
        ['suppression.deleted', web, 1],
      ].sort());
      const back = (await get<{ events: EventJson[] }>(service, '/events?type=finding.unsuppressed')).events;
      assert.deepEqual(back.map((event) => [event.configId, event.tag, event.finding?.name]).sort(), [
        [api, '1.0', 'DEBIAN-CVE-2024-1234'],
        [api, '2.0', 'DEBIAN-CVE-2024-1234'],
        [web, 'main', 'DEBIAN-CVE-2024-1234'],
      ].sort());
    });

    it('narrows by package, configuration and tag glob, and keeps suppressed findings out of the next scan\'s events', async (t) => {
      const { service, api } = await setUp(t);
      await suppress(service, { vulnerability: 'CVE-2024-5555', package: 'openssl', status: 'will_not_fix', reason: 'wrong package' });
      assert.equal((await totals(service))['CRITICAL'], 3, 'curl is not openssl');
      await suppress(service, { vulnerability: 'CVE-2024-5555', configId: api, tag: '2.*', status: 'false_positive', reason: 'backported fix' });
      assert.equal((await totals(service))['CRITICAL'], 2);
      assert.deepEqual((await findingsOf(service, api, 'suppressed')).map((f) => f.tag), ['2.0']);

      // A new image of the same repository: its matching finding is suppressed from the start and announced to no one.
      const newer = [finding('CVE-2024-5555', 'CRITICAL', { package: 'curl' }), finding('CVE-2024-7777', 'MEDIUM')];
      service.scanner.setRepository('team/api', { tags: { '1.0': 'sha256:a1', '2.0': 'sha256:a2', '2.1': 'sha256:a3' }, findings: { 'sha256:a1': [], 'sha256:a2': newer, 'sha256:a3': newer } });
      await service.app.inject({ method: 'POST', url: `/configs/${api}/scan` });
      await service.scheduler.runDue();
      const news = (await get<{ events: EventJson[] }>(service, `/events?config=${api}&type=finding.new`)).events.map((event) => event.finding?.name);
      assert.deepEqual(news.slice(6).sort(), ['CVE-2024-7777', 'CVE-2024-7777']);
      assert.deepEqual((await findingsOf(service, api, 'suppressed')).map((f) => [f.name, f.tag]).sort(), [['CVE-2024-5555', '2.0'], ['CVE-2024-5555', '2.1']]);
      const summary = await get<{ configs: Array<{ id: string; images: Array<{ tag: string; counts: Record<string, number> }> }> }>(service, '/summary?format=json');
      const images = summary.configs.find((config) => config.id === api)?.images ?? [];
      assert.deepEqual(images.map((image) => [image.tag, image.counts]), [['1.0', {}], ['2.0', { MEDIUM: 1 }], ['2.1', { MEDIUM: 1 }]]);
    });

    it('expires at its time on a timer driven by the clock, not at the next scan', async (t) => {
      const { service, api, web } = await setUp(t);
      const expiresAt = new Date(service.clock.now().getTime() + HOUR_MS);
      const created = await suppress(service, { vulnerability: 'CVE-2024-5555', status: 'accepted_risk', reason: 'until the rebuild', expiresAt: expiresAt.toISOString() });
      const expiry = startSuppressionExpiry({ store: service.store, clock: service.clock, logger: createLogger('silent') });
      t.after(() => expiry.stop());
      assert.equal((await totals(service))['CRITICAL'], 0);
      service.clock.advance(HOUR_MS - 1);
      expiry.wake();
      await sleep(100);
      assert.equal((await totals(service))['CRITICAL'], 0, 'not yet due');
      service.clock.advance(1);
      expiry.wake();
      const deadline = Date.now() + 10_000;
      while ((await totals(service))['CRITICAL'] !== 3) {
        assert.ok(Date.now() < deadline, 'the suppression did not expire');
        await sleep(20);
      }
      const stored = await get<{ state: string; expiredAt: string }>(service, `/suppressions/${created.id}`);
      assert.equal(stored.state, 'expired');
      assert.equal(stored.expiredAt, expiresAt.toISOString());
      const expired = (await suppressionEvents(service)).filter((event) => event.type === 'suppression.expired');
      assert.deepEqual(expired.map((event) => [event.configId, event.affectedFindings]).sort(), [[api, 2], [web, 1]].sort());
      assert.equal((await findingsOf(service, api, 'suppressed')).length, 0);
      // Expired, it stays listed; a PATCH with a new expiry makes it active again.
      const renewed = await service.app.inject({
        method: 'PATCH',
        url: `/suppressions/${created.id}`,
        headers: JSON_HEADERS,
        payload: { expiresAt: new Date(service.clock.now().getTime() + HOUR_MS).toISOString() },
      });
      assert.equal(renewed.statusCode, 200, renewed.body);
      assert.equal(renewed.json<{ state: string }>().state, 'active');
      assert.equal((await totals(service))['CRITICAL'], 0);
    });

    it('imports OpenVEX, answers a malformed document with a 400 naming the statement, and changes nothing', async (t) => {
      const { service } = await setUp(t);
      const document = await fixture('spring-boot-log4shell.json');
      const statements = document['statements'] as unknown[];
      const good = { vulnerability: { name: 'CVE-2024-9999' }, products: [{ '@id': 'pkg:deb/debian/zlib@1.2.13' }], status: 'not_affected', justification: 'vulnerable_code_not_present' };
      const revisionBefore = await service.store.revision();
      const bad = await service.app.inject({
        method: 'POST',
        url: '/vex',
        headers: JSON_HEADERS,
        payload: { ...document, statements: [...statements, good, { vulnerability: { name: 'CVE-2024-5555' }, status: 'not_affected' }] },
      });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
      const problem = bad.json<{ detail: string; field: string }>();
      assert.match(problem.detail, /^statement 2: /);
      assert.equal(problem.field, '/statements/2');
      assert.deepEqual(await get<unknown[]>(service, '/suppressions'), []);
      assert.equal(await service.store.revision(), revisionBefore, 'nothing was written');

      const imported = await service.app.inject({ method: 'POST', url: '/vex', headers: JSON_HEADERS, payload: { ...document, statements: [...statements, good] } });
      assert.equal(imported.statusCode, 200, imported.body);
      assert.equal(imported.json<{ created: string[] }>().created.length, 2);
      assert.equal((await totals(service))['LOW'], 0);
      const importEvents = await suppressionEvents(service);
      assert.equal(importEvents.length, 2, 'one per configuration with zlib findings');
      assert.ok(importEvents[0]?.runId && importEvents[0].runId === importEvents[1]?.runId, 'one change, one digest per configuration');
      const again = await service.app.inject({ method: 'POST', url: '/vex', headers: JSON_HEADERS, payload: { ...document, statements: [...statements, good] } });
      assert.equal(again.json<{ unchanged: string[] }>().unchanged.length, 2, 'a re-import is idempotent');

      const exported = await get<{ statements: Array<{ vulnerability: { name: string }; status: string }> }>(service, '/vex');
      assert.deepEqual(exported.statements.map((statement) => [statement.vulnerability.name, statement.status]).sort(), [
        ['CVE-2021-44228', 'not_affected'],
        ['CVE-2024-9999', 'not_affected'],
      ]);
    });

    it('applies a large batch (an import of many vulnerabilities) with one pass over the findings, alike', async (t) => {
      const { service, api } = await setUp(t);
      const many = Array.from({ length: 150 }, (_, i) => ({
        id: `batch-${i}`,
        vulnerability: i === 149 ? 'CVE-2024-1234' : `CVE-2031-${10_000 + i}`,
        package: null,
        configId: i === 149 ? api : null,
        repository: null,
        tag: null,
        status: 'will_not_fix' as const,
        justification: null,
        reason: 'batch',
        expiresAt: null,
      }));
      const result = await service.store.putSuppressions(many, 'batch-token', service.clock.now());
      assert.equal(result.created.length, 150);
      assert.deepEqual((await findingsOf(service, api, 'suppressed')).map((f) => [f.name, f.suppression?.id]), [
        ['DEBIAN-CVE-2024-1234', 'batch-149'],
        ['DEBIAN-CVE-2024-1234', 'batch-149'],
      ]);
      assert.equal((await totals(service))['HIGH'], 1, 'team/web keeps its finding');
      const again = await service.store.putSuppressions(many, 'batch-token', service.clock.now());
      assert.equal(again.unchanged.length, 150);
      const stored = await get<{ createdBy: string }>(service, '/suppressions/batch-149');
      assert.equal(stored.createdBy, 'batch-token');
    });

    it('refuses bad suppressions with a problem naming the field, and unknown ids with 404', async (t) => {
      const { service } = await setUp(t);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ vulnerability: 'CVE-1', status: 'accepted_risk', justification: 'component_not_present', reason: 'x' }, 'justification'],
        [{ vulnerability: 'CVE-1', status: 'ignored', reason: 'x' }, 'status'],
        [{ vulnerability: 'CVE-1', status: 'accepted_risk', reason: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
        [{ vulnerability: 'CVE-1', status: 'accepted_risk', reason: 'x', configId: 'nope' }, 'configId'],
        [{ vulnerability: 'CVE 1', status: 'accepted_risk', reason: 'x' }, 'vulnerability'],
      ];
      for (const [body, field] of cases) {
        const response = await service.app.inject({ method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: body });
        assert.equal(response.statusCode, 400, JSON.stringify(body));
        assert.equal(response.json<{ field: string }>().field.replace(/^\//, ''), field, response.body);
      }
      await suppress(service, { id: 'team-policy-1', vulnerability: 'CVE-1', status: 'accepted_risk', reason: 'x' });
      const taken = await service.app.inject({ method: 'POST', url: '/suppressions', headers: JSON_HEADERS, payload: { id: 'team-policy-1', vulnerability: 'CVE-2', status: 'accepted_risk', reason: 'y' } });
      assert.equal(taken.statusCode, 409);
      assert.equal((await service.app.inject({ method: 'GET', url: '/suppressions/unknown' })).statusCode, 404);
      assert.equal((await service.app.inject({ method: 'DELETE', url: '/suppressions/unknown' })).statusCode, 404);
      assert.deepEqual((await get<Array<{ id: string }>>(service, '/suppressions')).map((s) => s.id), ['team-policy-1']);
    });
  });
}
