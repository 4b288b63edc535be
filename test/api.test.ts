import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const DEMO_BODIES = [
  { region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] },
  { region: 'us-west-2', registry: '123456789012', repository: 'test/centos' },
  { region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu', tags: ['16.04', 'latest'] },
];

function seedDemoRegistry(service: TestService): void {
  service.scanner.setRepository('amazonlinux', { tags: { '2018.03': 'sha256:a1' }, findings: { 'sha256:a1': [] } });
  service.scanner.setRepository('test/centos', {
    tags: { '7': 'sha256:c7' },
    findings: {
      'sha256:c7': [
        ...Array.from({ length: 7 }, (_, i) => finding(`CVE-2019-100${i}`, 'HIGH')),
        ...Array.from({ length: 20 }, (_, i) => finding(`CVE-2019-20${String(i).padStart(2, '0')}`, 'MEDIUM')),
        ...Array.from({ length: 7 }, (_, i) => finding(`CVE-2019-300${i}`, 'LOW')),
      ],
    },
  });
  service.scanner.setRepository('test/ubuntu', {
    tags: { '16.04': 'sha256:u16', latest: 'sha256:u20' },
    findings: {
      'sha256:u16': [finding('CVE-2016-1585', 'MEDIUM', { package: 'apparmor', description: 'In all versions of AppArmor mount rules are accidentally widened when compiled.' })],
      'sha256:u20': [finding('CVE-2020-0001', 'LOW')],
    },
  });
}

function parseXml(text: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(text, 'application/xml');
  assert.deepEqual(problems, [], 'the feed must parse without warnings or errors');
  return doc as unknown as Document;
}

function atomChildren(parent: Element, name: string): Element[] {
  return Array.from(parent.childNodes).filter((node): node is Element => node.nodeType === 1 && (node as Element).localName === name && (node as Element).namespaceURI === ATOM);
}

for (const dialect of await databases()) {
  describe(`HTTP API on ${dialect.name}`, () => {
    let service: TestService;
    before(async () => {
      service = await createTestService(await dialect.openStore());
      seedDemoRegistry(service);
    });
    after(() => service.close());

    it('replays the original demo walkthrough word for word', async () => {
      const ids: string[] = [];
      for (const body of DEMO_BODIES) {
        const created = await service.app.inject({ method: 'POST', url: '/configs/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        assert.equal(created.statusCode, 201, created.body);
        const json = created.json();
        assert.equal(created.headers.location, `/configs/${json.id}`);
        ids.push(json.id);
        service.clock.advance(8000);
      }
      const listed = await service.app.inject({ method: 'GET', url: '/configs/' });
      assert.equal(listed.statusCode, 200);
      const configs = listed.json() as Array<Record<string, unknown>>;
      assert.equal(configs.length, 3);
      const createdAt = Math.floor(service.clock.now().getTime() / 1000);
      configs.forEach((config, index) => {
        const demo = DEMO_BODIES[index]!;
        assert.deepEqual(Object.keys(config).slice(0, 6), ['id', 'created', 'region', 'registry', 'repository', 'tags']);
        assert.match(String(config.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(typeof config.created, 'string');
        assert.equal(config.created, String(createdAt - 8 * (DEMO_BODIES.length - index)));
        assert.equal(config.region, demo.region);
        assert.equal(config.registry, demo.registry);
        assert.equal(config.repository, demo.repository);
        assert.deepEqual(config.tags, demo.tags ?? null);
      });

      assert.equal(await service.scheduler.runDue(), 3);

      const text = await service.app.inject({ method: 'GET', url: '/summary', headers: { accept: 'text/plain' } });
      assert.equal(text.statusCode, 200);
      assert.match(String(text.headers['content-type']), /^text\/plain/);
      assert.equal(
        text.body,
        [
          'Results for amazonlinux:2018.03 in us-west-2:\n',
          'Results for test/centos:7 in us-west-2:\n HIGH: 7\n MEDIUM: 20\n LOW: 7\n',
          'Results for test/ubuntu:16.04 in us-west-2:\n MEDIUM: 1\n',
          'Results for test/ubuntu:latest in us-west-2:\n LOW: 1\n',
        ].join('\n'),
      );
      const summary = (await service.app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json' } })).json();
      assert.deepEqual(summary.totals, { HIGH: 7, MEDIUM: 21, LOW: 8 });
      assert.deepEqual(summary.configs[1].images[0].counts, { HIGH: 7, MEDIUM: 20, LOW: 7 });
      assert.equal(summary.configs[1].images[0].digest, 'sha256:c7');

      const feed = await service.app.inject({ method: 'GET', url: `/findings/${ids[2]}` });
      assert.equal(feed.statusCode, 200);
      assert.match(String(feed.headers['content-type']), /^application\/atom\+xml/);
      const root = parseXml(feed.body).documentElement!;
      assert.equal(root.localName, 'feed');
      assert.equal(atomChildren(root, 'title')[0]?.textContent, 'ECR repository test/ubuntu in us-west-2');
      const entries = atomChildren(root, 'entry');
      assert.equal(entries.length, 2);
      const titles = entries.map((entry) => atomChildren(entry, 'title')[0]?.textContent).sort();
      assert.deepEqual(titles, ['[LOW] in image test/ubuntu:latest found CVE-2020-0001', '[MEDIUM] in image test/ubuntu:16.04 found CVE-2016-1585']);
      const entryIds = entries.map((entry) => atomChildren(entry, 'id')[0]?.textContent);
      assert.equal(new Set(entryIds).size, 2, 'entry ids are distinct, never the tag');

      const removed = await service.app.inject({ method: 'DELETE', url: `/configs/${ids[0]}` });
      assert.equal(removed.statusCode, 204);
      const again = await service.app.inject({ method: 'DELETE', url: `/configs/${ids[0]}` });
      assert.equal(again.statusCode, 404);
      assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal((await service.app.inject({ method: 'GET', url: '/configs' })).json().length, 2);
    });

    it('answers every route with and without a trailing slash', async () => {
      const [config] = (await service.app.inject({ method: 'GET', url: '/configs' })).json();
      const paths = ['/configs', '/summary', `/findings/${config.id}`, `/configs/${config.id}`, '/healthz', '/readyz', '/metrics', '/openapi.json'];
      for (const path of paths) {
        for (const url of [path, `${path}/`]) {
          const response = await service.app.inject({ method: 'GET', url });
          assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 200)}`);
        }
      }
      const scan = await service.app.inject({ method: 'POST', url: `/configs/${config.id}/scan/` });
      assert.equal(scan.statusCode, 202);
      assert.match(scan.json().runId, /^[0-9a-f-]{36}$/);
    });

    it('keeps firstSeen across rescans and marks vanished findings fixed', async () => {
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs',
        headers: { 'content-type': 'application/json' },
        payload: { registry: '127.0.0.1:5000', repository: 'team/api', tags: ['1.*'] },
      });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().id;
      assert.equal(created.json().scanner, 'builtin');
      service.scanner.setRepository('team/api', {
        tags: { '1.0': 'sha256:one', '1.1': 'sha256:one', '2.0': 'sha256:two' },
        findings: { 'sha256:one': [finding('CVE-2024-0001', 'CRITICAL'), finding('CVE-2024-0002', 'LOW')] },
      });
      await service.scheduler.runDue();
      assert.equal(service.scanner.scansPerConfig.get(id), 1, 'two tags sharing a digest are scanned once');
      const firstScan = service.clock.now().toISOString();

      service.clock.advance(25 * 3600_000);
      service.scanner.setRepository('team/api', {
        tags: { '1.0': 'sha256:one', '1.1': 'sha256:one' },
        findings: { 'sha256:one': [finding('CVE-2024-0001', 'CRITICAL'), finding('CVE-2024-0003', 'HIGH')] },
      });
      await service.scheduler.runDue();
      const secondScan = service.clock.now().toISOString();

      const all = (await service.app.inject({ method: 'GET', url: `/findings/${id}?status=all&limit=1000`, headers: { accept: 'application/json' } })).json();
      const byKey = new Map(all.findings.map((f: { tag: string; name: string }) => [`${f.tag} ${f.name}`, f]));
      assert.equal(all.findings.length, 6);
      const kept = byKey.get('1.0 CVE-2024-0001') as Record<string, unknown>;
      assert.equal(kept.firstSeen, firstScan);
      assert.equal(kept.lastSeen, secondScan);
      assert.equal(kept.status, 'ACTIVE');
      const fixed = byKey.get('1.1 CVE-2024-0002') as Record<string, unknown>;
      assert.equal(fixed.status, 'FIXED');
      assert.equal(fixed.fixedAt, secondScan);
      assert.equal((byKey.get('1.0 CVE-2024-0003') as Record<string, unknown>).firstSeen, secondScan);
      const state = (await service.app.inject({ method: 'GET', url: `/configs/${id}` })).json();
      assert.equal(state.status, 'COMPLETE');
      assert.deepEqual(state.images.map((image: { tag: string }) => image.tag), ['1.0', '1.1']);
    });

    it('changes tags, schedule, scanner and platform in place with PATCH, keeping the history', async () => {
      const created = await service.app.inject({ method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: { registry: 'ghcr.io', repository: 'acme/patched', tags: ['1.0'] } });
      const before = created.json();
      assert.equal(before.platform, 'linux/amd64', 'the effective platform, not null');
      service.scanner.setRepository('acme/patched', { tags: { '1.0': 'sha256:p1', '2.0': 'sha256:p2' }, findings: { 'sha256:p1': [finding('CVE-2026-1111', 'HIGH')], 'sha256:p2': [] } });
      await service.scheduler.runDue();
      const firstSeen = (await service.app.inject({ method: 'GET', url: `/findings/${before.id}?format=json` })).json().findings[0].firstSeen;
      service.clock.advance(3600_000);

      const patched = await service.app.inject({
        method: 'PATCH',
        url: `/configs/${before.id}`,
        headers: { 'content-type': 'application/json' },
        payload: { tags: ['1.0', '2.0'], schedule: '6h', platform: 'linux/arm64', registry: 'ghcr.io' },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      const after = patched.json();
      assert.equal(after.id, before.id);
      assert.equal(after.created, before.created);
      assert.deepEqual(after.tags, ['1.0', '2.0']);
      assert.equal(after.schedule, '6h');
      assert.equal(after.platform, 'linux/arm64');
      assert.equal(after.nextScan, service.clock.now().toISOString(), 'new tags are scanned at once');
      assert.deepEqual(await service.app.inject({ method: 'GET', url: `/configs/${before.id}` }).then((r) => r.json()), after);

      await service.scheduler.runDue();
      const findings = (await service.app.inject({ method: 'GET', url: `/findings/${before.id}?format=json` })).json().findings;
      assert.equal(findings.length, 1);
      assert.equal(findings[0].firstSeen, firstSeen, 'first-seen times survive the change');
      const state = (await service.app.inject({ method: 'GET', url: `/configs/${before.id}` })).json();
      assert.deepEqual(state.images.map((image: { tag: string }) => image.tag), ['1.0', '2.0']);

      const reschedule = await service.app.inject({ method: 'PATCH', url: `/configs/${before.id}`, headers: { 'content-type': 'application/json' }, payload: { schedule: '12h', scanner: null, platform: null } });
      assert.equal(reschedule.statusCode, 200, reschedule.body);
      assert.equal(reschedule.json().scanner, 'builtin', 'null returns to the default scanner');
      assert.equal(reschedule.json().platform, 'linux/amd64');
      const noop = await service.app.inject({ method: 'PATCH', url: `/configs/${before.id}`, headers: { 'content-type': 'application/json' }, payload: {} });
      assert.equal(noop.statusCode, 200);
      assert.equal(noop.json().nextScan, reschedule.json().nextScan, 'an empty patch changes nothing');
    });

    it('takes severity filters in any case', async () => {
      const [config] = (await service.app.inject({ method: 'GET', url: '/configs' })).json();
      const lower = await service.app.inject({ method: 'GET', url: `/findings/${config.id}?severity=high,Critical&format=json` });
      assert.equal(lower.statusCode, 200, lower.body);
      const upper = await service.app.inject({ method: 'GET', url: `/findings/${config.id}?severity=HIGH,CRITICAL&format=json` });
      assert.deepEqual(lower.json(), upper.json());
    });

    it('pages findings newest first with RFC 5005 next links, filters severity and answers 304', async () => {
      const created = await service.app.inject({ method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: { registry: 'ghcr.io', repository: 'acme/paged' } });
      const id = created.json().id;
      service.scanner.setRepository('acme/paged', {
        tags: { latest: 'sha256:p' },
        findings: { 'sha256:p': Array.from({ length: 25 }, (_, i) => finding(`CVE-2025-${1000 + i}`, i % 5 === 0 ? 'CRITICAL' : 'LOW')) },
      });
      await service.scheduler.runDue();
      const seen = new Set<string>();
      let url: string | null = `/findings/${id}?limit=10`;
      let pages = 0;
      while (url) {
        const page: { statusCode: number; body: string } = await service.app.inject({ method: 'GET', url });
        assert.equal(page.statusCode, 200, page.body);
        const root = parseXml(page.body).documentElement!;
        for (const entry of atomChildren(root, 'entry')) seen.add(atomChildren(entry, 'id')[0]!.textContent!);
        const next = atomChildren(root, 'link').find((link) => link.getAttribute('rel') === 'next');
        url = next ? new URL(next.getAttribute('href')!).pathname + new URL(next.getAttribute('href')!).search : null;
        pages += 1;
      }
      assert.equal(pages, 3);
      assert.equal(seen.size, 25);

      const critical = (await service.app.inject({ method: 'GET', url: `/findings/${id}?severity=CRITICAL`, headers: { accept: 'application/json' } })).json();
      assert.equal(critical.findings.length, 5);
      assert.ok(critical.findings.every((f: { severity: string }) => f.severity === 'CRITICAL'));
      assert.equal(critical.next, null);

      const first = await service.app.inject({ method: 'GET', url: `/findings/${id}` });
      const etag = String(first.headers.etag);
      assert.ok(etag.length > 2);
      const lastModified = String(first.headers['last-modified']);
      assert.equal((await service.app.inject({ method: 'GET', url: `/findings/${id}`, headers: { 'if-none-match': etag } })).statusCode, 304);
      assert.equal((await service.app.inject({ method: 'GET', url: `/findings/${id}`, headers: { 'if-modified-since': lastModified } })).statusCode, 304);
      service.clock.advance(25 * 3600_000);
      await service.app.inject({ method: 'POST', url: `/configs/${id}/scan` });
      await service.scheduler.runDue();
      const changed = await service.app.inject({ method: 'GET', url: `/findings/${id}`, headers: { 'if-none-match': etag } });
      assert.equal(changed.statusCode, 200, 'a rescan changes the validator');
    });

    it('never serves a cached feed page that a rescan or a delete made stale', async () => {
      const created = await service.app.inject({ method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: { registry: 'ghcr.io', repository: 'acme/cached' } });
      const id = created.json().id;
      service.scanner.setRepository('acme/cached', { tags: { v1: 'sha256:c1' }, findings: { 'sha256:c1': [finding('CVE-2026-0001', 'LOW')] } });
      await service.scheduler.runDue();
      const titles = async (): Promise<string[]> => {
        const page = await service.app.inject({ method: 'GET', url: `/findings/${id}` });
        return atomChildren(parseXml(page.body).documentElement!, 'entry').map((entry) => atomChildren(entry, 'title')[0]!.textContent!);
      };
      assert.deepEqual(await titles(), ['[LOW] in image acme/cached:v1 found CVE-2026-0001']);
      assert.deepEqual(await titles(), ['[LOW] in image acme/cached:v1 found CVE-2026-0001'], 'served again, from the cache');
      service.scanner.setRepository('acme/cached', { tags: { v1: 'sha256:c1' }, findings: { 'sha256:c1': [finding('CVE-2026-0002', 'HIGH')] } });
      service.clock.advance(60_000);
      await service.app.inject({ method: 'POST', url: `/configs/${id}/scan` });
      await service.scheduler.runDue();
      assert.deepEqual(await titles(), ['[HIGH] in image acme/cached:v1 found CVE-2026-0002']);
      assert.equal((await service.app.inject({ method: 'DELETE', url: `/configs/${id}` })).statusCode, 204);
      assert.equal((await service.app.inject({ method: 'GET', url: `/findings/${id}` })).statusCode, 404);
    });

    it('serves metrics, readiness and an OpenAPI 3.1 document of every route', async () => {
      const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /ecrscan_http_requests_total\{method="GET",route="\/configs",status="200"\} [1-9]/);
      assert.match(metrics.body, /ecrscan_scans_total\{scanner="memory",outcome="COMPLETE"\} [1-9]/);
      const summary = (await service.app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json' } })).json();
      assert.match(metrics.body, new RegExp(`ecrscan_open_findings\\{severity="HIGH"\\} ${summary.totals.HIGH}\\n`));
      assert.deepEqual((await service.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' });
      const openapi = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.equal(openapi.openapi, '3.1.0');
      for (const path of ['/configs', '/configs/{id}', '/configs/{id}/scan', '/summary', '/findings/{id}', '/healthz', '/readyz', '/metrics']) {
        assert.ok(openapi.paths[path], `OpenAPI documents ${path}`);
      }
      const ref = openapi.paths['/configs'].post.requestBody.content['application/json'].schema.$ref;
      assert.equal(ref, '#/components/schemas/ScanConfigInput', 'the body is a named component');
      const body = openapi.components.schemas.ScanConfigInput;
      assert.equal(body.additionalProperties, false);
      assert.equal(body.properties.tags.anyOf[0].maxItems, 100);
    });
  });
}

const postgres = (await databases()).find((dialect) => dialect.name === 'postgres' && dialect.server !== null);

describe('readiness when PostgreSQL goes away', { skip: postgres ? false : 'needs a PostgreSQL server the test can stop' }, () => {
  it('answers 503 while the database is down and recovers without a restart', async () => {
    const service = await createTestService(await postgres!.openStore());
    try {
      assert.equal((await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      await postgres!.server!.stop();
      const down = await service.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().type, 'urn:ecrscan:problem:not-ready');
      assert.equal((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
      await postgres!.server!.start();
      let ready = 0;
      for (let attempt = 0; attempt < 50 && ready !== 200; attempt += 1) {
        ready = (await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(ready, 200);
      assert.equal((await service.app.inject({ method: 'GET', url: '/configs' })).statusCode, 200, 'queries work again');
    } finally {
      await service.close();
    }
  });
});
