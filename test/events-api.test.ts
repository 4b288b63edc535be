import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import { validate as validUuid, version as uuidVersion } from 'uuid';
import { ScanError } from '../src/scanners/scanner.js';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const JING = '/usr/bin/jing';
const SCHEMA = fileURLToPath(new URL('./support/atom-schema/atom.rnc', import.meta.url));

interface EventJson {
  id: string;
  type: string;
  time: string;
  tag: string | null;
  severity: string | null;
  repository: string;
  finding?: { name: string; package: string | null; fixedVersion: string | null };
  error?: string | null;
  scope?: string;
}

function parseXml(text: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(text, 'application/xml');
  assert.deepEqual(problems, [], 'the feed must parse without warnings or errors');
  return doc as unknown as Document;
}

function validateWithJing(file: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(JING, ['-c', SCHEMA, file], { timeout: 50_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ ok: error === null, output: `${stdout}${stderr}` });
    });
  });
}

for (const dialect of await databases()) {
  describe(`event log over HTTP on ${dialect.name}`, () => {
    let service: TestService;
    let configId = '';

    async function register(repository: string): Promise<string> {
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs/',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ registry: 'registry.example:5000', repository, tags: null }),
      });
      assert.equal(created.statusCode, 201, created.body);
      return created.json().id as string;
    }

    async function scanAll(): Promise<void> {
      service.clock.advance(25 * 3_600_000);
      await service.scheduler.runDue();
    }

    async function eventsOf(url: string): Promise<{ events: EventJson[]; next: string | null }> {
      const response = await service.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    }

    before(async () => {
      service = await createTestService(await dialect.openStore());
      service.scanner.setRepository('team/api', {
        tags: { '1.0': 'sha256:a1' },
        findings: { 'sha256:a1': [finding('CVE-2026-0001', 'HIGH', { fixedVersion: '3.0.15-1' }), finding('CVE-2026-0002', 'LOW', { package: 'zlib' })] },
      });
      service.scanner.setRepository('team/web', { tags: { main: 'sha256:w1' }, findings: { 'sha256:w1': [] } });
      configId = await register('team/api');
      await register('team/web');
      await service.scheduler.runDue();
      // The vulnerable openssl is upgraded, the tag moves, and a new tag fails to scan.
      service.scanner.setRepository('team/api', {
        tags: { '1.0': 'sha256:a2', '2.0': 'sha256:b1' },
        findings: { 'sha256:a2': [finding('CVE-2026-0002', 'LOW', { package: 'zlib' })] },
        failures: { 'sha256:b1': new ScanError('FAILED', 'layer sha256:ff is not valid gzip') },
      });
      await scanAll();
      // A rescan that changes nothing.
      await scanAll();
    });
    after(() => service.close());

    it('lists what every scan changed, oldest first, as JSON with enough detail to act on', async () => {
      const { events, next } = await eventsOf(`/events?config=${configId}`);
      assert.equal(next, null);
      assert.deepEqual(
        events.map((event) => [event.type, event.tag, event.finding?.name ?? event.scope ?? null]),
        [
          ['image.added', '1.0', null],
          ['finding.new', '1.0', 'CVE-2026-0001'],
          ['finding.new', '1.0', 'CVE-2026-0002'],
          ['image.digest_changed', '1.0', null],
          ['finding.fixed', '1.0', 'CVE-2026-0001'],
          ['image.added', '2.0', null],
          ['scan.failed', '2.0', 'image'],
        ],
      );
      for (const event of events) assert.ok(validUuid(event.id) && uuidVersion(event.id) === 7, event.id);
      assert.deepEqual([...events.map((event) => event.id)].sort(), events.map((event) => event.id), 'ids are time-ordered');
      assert.equal(events[1]?.repository, 'team/api');
      assert.equal(events[1]?.finding?.fixedVersion, '3.0.15-1');
      assert.equal(events.at(-1)?.error, 'layer sha256:ff is not valid gzip');
    });

    it('filters by type and severity (any case) and pages with the next cursor', async () => {
      const fixed = await eventsOf('/events?type=finding.fixed,finding.reopened');
      assert.deepEqual(fixed.events.map((event) => event.finding?.name), ['CVE-2026-0001']);
      const low = await eventsOf('/events?severity=low');
      assert.deepEqual(low.events.map((event) => [event.type, event.severity]), [['finding.new', 'LOW']]);
      const all = (await eventsOf('/events')).events.map((event) => event.id);
      const paged: string[] = [];
      let url: string | null = '/events?limit=3';
      while (url) {
        const page: { events: EventJson[]; next: string | null } = await eventsOf(url);
        paged.push(...page.events.map((event) => event.id));
        url = page.next ? `/events?limit=3&after=${page.next}` : null;
      }
      assert.deepEqual(paged, all);
      const newest = await eventsOf('/events?order=desc&limit=2');
      assert.deepEqual(newest.events.map((event) => event.id), all.slice(-2).reverse());
    });

    it('serves a configuration\'s events as an Atom feed that RFC 4287\'s schema accepts', async (t) => {
      const response = await service.app.inject({ method: 'GET', url: `/findings/${configId}/events` });
      assert.equal(response.statusCode, 200, response.body);
      assert.match(String(response.headers['content-type']), /^application\/atom\+xml/);
      const doc = parseXml(response.body);
      const entries = Array.from(doc.getElementsByTagNameNS(ATOM, 'entry'));
      assert.equal(entries.length, 7);
      const titles = entries.map((entry) => entry.getElementsByTagNameNS(ATOM, 'title')[0]?.textContent);
      assert.equal(titles[0], 'Scan of team/api:2.0 failed: layer sha256:ff is not valid gzip');
      assert.ok(titles.includes('[HIGH] in image team/api:1.0 fixed CVE-2026-0001'), titles.join('\n'));
      assert.ok(titles.includes('[HIGH] in image team/api:1.0 found CVE-2026-0001'), titles.join('\n'));
      const ids = entries.map((entry) => entry.getElementsByTagNameNS(ATOM, 'id')[0]?.textContent ?? '');
      assert.equal(new Set(ids).size, 7, 'every event is an entry of its own');
      for (const id of ids) assert.match(id, /^urn:uuid:[0-9a-f-]{36}$/);
      const etag = String(response.headers.etag);
      const again = await service.app.inject({ method: 'GET', url: `/findings/${configId}/events`, headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      const filtered = await service.app.inject({ method: 'GET', url: `/findings/${configId}/events?limit=1&severity=high&fixable=false&kev=false&minEpss=0` });
      const links = Array.from(parseXml(filtered.body).getElementsByTagNameNS(ATOM, 'link'));
      const selfHref = links.find((link) => link.getAttribute('rel') === 'self')?.getAttribute('href') ?? '';
      const selfQuery = new URL(selfHref).searchParams;
      for (const [name, value] of Object.entries({ limit: '1', severity: 'high', fixable: 'false', kev: 'false', minEpss: '0' })) {
        assert.equal(selfQuery.get(name), value, `the feed's links keep ${name}: ${selfHref}`);
      }
      const json = await eventsOf(`/findings/${configId}/events?format=json&limit=2`);
      assert.deepEqual(json.events.map((event) => event.type), ['scan.failed', 'image.added']);
      assert.notEqual(json.next, null);

      if (!existsSync(JING)) {
        console.warn('SKIPPED: jing not installed (apt-get install jing); the event feed was NOT validated against RFC 4287');
        t.skip('jing not installed');
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), 'event-feed-'));
      try {
        const file = join(dir, 'events.xml');
        await writeFile(file, response.body, 'utf8');
        const valid = await validateWithJing(file);
        assert.ok(valid.ok, `jing rejected the event feed:\n${valid.output}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('answers bad input with a problem naming the field, and an unknown configuration with 404', async () => {
      const cases: Array<[string, string]> = [
        ['/events?type=finding.exploded', 'type'],
        ['/events?severity=urgent', 'severity'],
        ['/events?after=AAAA', 'after'],
        ['/events?limit=0', 'limit'],
        ['/events?bogus=1', 'bogus'],
        [`/findings/${configId}/events?after=Zm9v`, 'after'],
      ];
      for (const [url, field] of cases) {
        const response = await service.app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        const problem = response.json();
        assert.equal(problem.type, 'urn:ecrscan:problem:validation-failed');
        assert.ok(JSON.stringify(problem).includes(field), `${url} names ${field}: ${response.body}`);
      }
      for (const id of ['e7c3b83c-b995-44d3-942b-8b1001f33ae', '00000000-0000-4000-8000-000000000000']) {
        const missing = await service.app.inject({ method: 'GET', url: `/findings/${id}/events` });
        assert.equal(missing.statusCode, 404, missing.body);
        assert.equal(missing.json().type, 'urn:ecrscan:problem:config-not-found');
      }
    });

    it('forgets a deleted configuration\'s events', async () => {
      const doomed = await register('team/doomed');
      service.scanner.setRepository('team/doomed', { tags: { x: 'sha256:d1' }, findings: { 'sha256:d1': [finding('CVE-2026-0009', 'LOW')] } });
      await service.scheduler.runDue();
      assert.equal((await eventsOf(`/events?config=${doomed}`)).events.length, 2);
      const deleted = await service.app.inject({ method: 'DELETE', url: `/configs/${doomed}` });
      assert.equal(deleted.statusCode, 204);
      assert.deepEqual((await eventsOf(`/events?config=${doomed}`)).events, []);
    });
  });
}
