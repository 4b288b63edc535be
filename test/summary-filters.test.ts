import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { summaryJson, summaryText } from '../src/http/representations.js';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

interface SummaryBody {
  totals: Record<string, number>;
  next?: string | null;
  configs: { repository: string; status: string; counts?: Record<string, number>; images?: { tag: string; counts: Record<string, number> }[] }[];
}

const REPOSITORIES: [string, Record<string, ['CRITICAL' | 'HIGH' | 'LOW', number][]>][] = [
  ['team-a/api', { '1.0': [['CRITICAL', 1], ['LOW', 2]], '2.0': [['LOW', 3]] }],
  ['team-a/web', { latest: [['HIGH', 4]] }],
  ['team-b/api', { latest: [['LOW', 1]] }],
  ['team_c/api', { latest: [['CRITICAL', 2]] }],
];

for (const dialect of await databases()) {
  describe(`GET /summary filters and paging on ${dialect.name}`, () => {
    let service: TestService;
    before(async () => {
      service = await createTestService(await dialect.openStore());
      for (const [repository, tags] of REPOSITORIES) {
        const findings: Record<string, ReturnType<typeof finding>[]> = {};
        const digests: Record<string, string> = {};
        for (const [tag, counts] of Object.entries(tags)) {
          const digest = `sha256:${repository.replace(/[^a-z]/g, '')}${tag.replace(/[^0-9a-z]/g, '')}`;
          digests[tag] = digest;
          findings[digest] = counts.flatMap(([severity, n]) => Array.from({ length: n }, (_, i) => finding(`CVE-2026-${severity}-${i}`, severity)));
        }
        service.scanner.setRepository(repository, { tags: digests, findings });
        const created = await service.app.inject({
          method: 'POST',
          url: '/configs/',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository }),
        });
        assert.equal(created.statusCode, 201, created.body);
        service.clock.advance(1000);
      }
      await service.scheduler.runDue();
    });
    after(() => service.close());

    async function summary(query: string): Promise<SummaryBody> {
      const response = await service.app.inject({ method: 'GET', url: `/summary?format=json&${query}` });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    }

    it('filters by repository glob, with _ and % taken literally', async () => {
      assert.deepEqual((await summary('repository=team-a/*')).configs.map((config) => config.repository), ['team-a/api', 'team-a/web']);
      assert.deepEqual((await summary('repository=*/api')).configs.map((config) => config.repository), ['team-a/api', 'team-b/api', 'team_c/api']);
      assert.deepEqual((await summary('repository=team_c/*')).configs.map((config) => config.repository), ['team_c/api'], '_ is not a wildcard');
      assert.deepEqual((await summary('repository=team-b/api')).configs.map((config) => config.repository), ['team-b/api']);
      assert.deepEqual((await summary('repository=nothing*')).configs, []);
    });

    it('filters by severity and counts only those severities', async () => {
      const body = await summary('severity=critical');
      assert.deepEqual(body.configs.map((config) => config.repository), ['team-a/api', 'team_c/api']);
      assert.deepEqual(body.totals, { CRITICAL: 3 });
      assert.deepEqual(body.configs[0]?.images?.map((image) => image.counts), [{ CRITICAL: 1 }, {}]);
      assert.deepEqual((await summary('severity=HIGH,low')).configs.map((config) => config.repository), ['team-a/api', 'team-a/web', 'team-b/api']);
    });

    it('filters by configuration status', async () => {
      assert.equal((await summary('status=complete')).configs.length, 4);
      assert.deepEqual((await summary('status=FAILED,new')).configs, []);
    });

    it('pages in registration order with a cursor, and gives totals per configuration with images=false', async () => {
      const first = await summary('limit=3');
      assert.deepEqual(first.configs.map((config) => config.repository), ['team-a/api', 'team-a/web', 'team-b/api']);
      assert.ok(first.next);
      const second = await summary(`limit=3&after=${first.next}`);
      assert.deepEqual(second.configs.map((config) => config.repository), ['team_c/api']);
      assert.equal(second.next, null);
      const totals = await summary('images=false&repository=team-a/api');
      assert.deepEqual(totals.configs, [
        { id: totals.configs[0] && (totals.configs[0] as { id?: string }).id, region: 'us-west-2', registry: '123456789012', repository: 'team-a/api', status: 'COMPLETE', lastScan: (totals.configs[0] as { lastScan?: string }).lastScan, lastError: null, counts: { CRITICAL: 1, LOW: 5 } },
      ]);
    });

    it('keeps the demo text layout, and answers filtered text pages in it', async () => {
      const whole = await service.app.inject({ method: 'GET', url: '/summary' });
      assert.match(whole.body, /^Results for team-a\/api:1\.0 in us-west-2:\n CRITICAL: 1\n LOW: 2\n\nResults for team-a\/api:2\.0 in us-west-2:\n LOW: 3\n/);
      const filtered = await service.app.inject({ method: 'GET', url: '/summary?repository=team-a/web' });
      assert.equal(filtered.body, 'Results for team-a/web:latest in us-west-2:\n HIGH: 4\n');
      const totals = await service.app.inject({ method: 'GET', url: '/summary?repository=team-a/api&images=false' });
      assert.equal(totals.body, 'Results for team-a/api in us-west-2:\n CRITICAL: 1\n LOW: 5\n');
      const paged = await service.app.inject({ method: 'GET', url: '/summary?limit=1&images=false' });
      assert.match(paged.body, /^Results for team-a\/api in us-west-2:\n CRITICAL: 1\n LOW: 5\n\nNext page: after=[A-Za-z0-9_-]+\n$/);
    });

    it('renders the whole summary from kept parts exactly as from scratch, after every kind of write', async () => {
      async function assertFresh(when: string): Promise<void> {
        const configs = await service.store.summary();
        const json = await service.app.inject({ method: 'GET', url: '/summary?format=json' });
        const body = JSON.parse(json.body) as { generatedAt: string };
        assert.equal(json.body, JSON.stringify(summaryJson(configs, new Date(body.generatedAt))), when);
        const text = await service.app.inject({ method: 'GET', url: '/summary' });
        assert.equal(text.body, summaryText(configs), when);
      }
      await assertFresh('after the first scans');
      // A rescan that changes one configuration's counts moves only its revision.
      service.scanner.setRepository('team-b/api', { tags: { latest: 'sha256:teambapilatest' }, findings: { 'sha256:teambapilatest': [finding('CVE-2026-NEW-1', 'HIGH')] } });
      const ids = (await service.store.listConfigs()).map((config) => config.id);
      const teamB = (await service.store.listConfigs()).find((config) => config.repository === 'team-b/api');
      assert.ok(teamB);
      assert.equal((await service.app.inject({ method: 'POST', url: `/configs/${teamB.id}/scan` })).statusCode, 202);
      await assertFresh('queued: its status changed, not its revision');
      await service.scheduler.runDue();
      await assertFresh('after a rescan with other findings');
      assert.match((await service.app.inject({ method: 'GET', url: '/summary' })).body, /Results for team-b\/api:latest in us-west-2:\n HIGH: 1\n/);
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs/',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: 'team-d/new' }),
      });
      await assertFresh('after a registration');
      assert.equal((await service.app.inject({ method: 'DELETE', url: `/configs/${created.json<{ id: string }>().id}` })).statusCode, 204);
      await assertFresh('after a deletion');
      assert.equal(ids.length, 4);
    });

    it('refuses a bad filter with a problem document, changing nothing', async () => {
      for (const query of ['severity=urgent', 'status=done', 'limit=0', 'limit=1001', 'after=AAAA', 'repository=Team', 'images=maybe']) {
        const response = await service.app.inject({ method: 'GET', url: `/summary?${query}` });
        assert.equal(response.statusCode, 400, query);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, query);
      }
      assert.equal((await summary('')).configs.length, 4);
    });

    it('answers a conditional request for an unchanged filtered page with 304, and a changed one in full', async () => {
      const first = await service.app.inject({ method: 'GET', url: '/summary?format=json&repository=team-b/*' });
      const etag = first.headers.etag;
      assert.ok(typeof etag === 'string');
      const again = await service.app.inject({ method: 'GET', url: '/summary?format=json&repository=team-b/*', headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      const other = await service.app.inject({ method: 'GET', url: '/summary?format=json&repository=team-a/*', headers: { 'if-none-match': etag } });
      assert.equal(other.statusCode, 200);
    });
  });
}
