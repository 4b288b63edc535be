import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { createEcrScanner } from '../src/scanners/ecr/ecr-scanner.js';
import { createRequestBudget } from '../src/scanners/request-budget.js';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { databases } from './support/databases.js';
import { basicFinding, digestOf, type EcrEndpoint, ecrClientEnv, startEcrEndpoint } from './support/ecr-endpoint/index.js';

/**
 * Repository globs and tag selection by push time, through the whole service: `ecrscan
 * serve` with the real AWS SDK against the ECR-compatible endpoint, which holds several
 * repositories with tags pushed days apart; one repository is deleted between two runs.
 */

const DAY = 86_400_000;
const ago = (days: number): Date => new Date(Date.now() - days * DAY);

interface ConfigBody {
  id: string;
  status: string;
  lastScan: string | null;
  progress: { done: number; total: number } | null;
  images: { repository: string; tag: string; digest: string | null; status: string }[];
}

async function api<T>(url: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${url}${path}`, { ...init, headers: { accept: 'application/json', 'content-type': 'application/json', ...init.headers } });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function waitForScan(url: string, id: string, after: string | null = null): Promise<ConfigBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const config = await api<ConfigBody>(url, `/configs/${id}`);
    if (['COMPLETE', 'PARTIAL', 'FAILED'].includes(config.status) && config.lastScan !== after) return config;
    if (Date.now() > deadline) throw new Error(`scan of ${id} did not finish: ${JSON.stringify(config)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const imagesOf = (config: ConfigBody): string[] => config.images.map((image) => `${image.repository}:${image.tag}`);

for (const dialect of await databases()) {
  describe(`repository globs and push-time selection over ECR on ${dialect.name}`, () => {
    let endpoint: EcrEndpoint;
    let server: ServerProcess;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecrscan-selection-'));
      endpoint = await startEcrEndpoint({ pollsUntilDone: 0, pageSize: 2 });
      endpoint.addRepository('team/api', [
        ...[50, 40, 30, 20, 10].map((days, i) => ({ digest: digestOf(`api:${i + 1}`), tags: [`v${i + 1}`], pushedAt: ago(days) })),
        { digest: digestOf('api:rc'), tags: ['v6-rc'], pushedAt: ago(5) },
        { digest: digestOf('api:untagged'), tags: [], pushedAt: ago(1) },
      ]);
      endpoint.addRepository('team/web', [
        { digest: digestOf('web:a'), tags: ['a', 'latest'], pushedAt: ago(1) },
        { digest: digestOf('web:b'), tags: ['b'], pushedAt: ago(100) },
      ]);
      endpoint.addRepository('team/old', [
        { digest: digestOf('old:x'), tags: ['x'], pushedAt: ago(3), findings: [basicFinding({ name: 'CVE-2026-0001', severity: 'HIGH', packageName: 'zlib', packageVersion: '1.2' })] },
      ]);
      endpoint.addRepository('other/api', [{ digest: digestOf('other:z'), tags: ['z'], pushedAt: ago(2) }]);
      const databaseUrl = dialect.name === 'sqlite' ? join(dir, 'db.sqlite') : await dialect.createDatabase();
      server = await startServer([], { DATABASE_URL: databaseUrl, ...ecrClientEnv(endpoint) });
    });
    after(async () => {
      await server?.stop();
      await endpoint?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('team/* with newest and exclude: the newest tags per repository, never untagged images, every page read', async () => {
      endpoint.resetCalls();
      const created = await api<ConfigBody & { newest: number; exclude: string[] }>(server.url, '/configs/', {
        method: 'POST',
        body: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: 'team/*', newest: 2, exclude: ['*-rc', 'latest'] }),
      });
      assert.equal(created.newest, 2);
      assert.deepEqual(created.exclude, ['*-rc', 'latest']);
      const config = await waitForScan(server.url, created.id);
      assert.equal(config.status, 'COMPLETE');
      assert.deepEqual(imagesOf(config), ['team/api:v4', 'team/api:v5', 'team/old:x', 'team/web:a', 'team/web:b']);
      assert.equal(config.progress, null, 'no progress once the scan is over');
      // Pages of two: four repositories are two DescribeRepositories pages.
      assert.equal(endpoint.callCount('DescribeRepositories'), 2);
      assert.equal(endpoint.callCount('ListImages'), 0, 'push times come with DescribeImages');

      const text = await (await fetch(`${server.url}/summary?format=text`)).text();
      assert.match(text, /^Results for team\/old:x in us-west-2:\n HIGH: 1\n/m);
      assert.match(text, /^Results for team\/api:v5 in us-west-2:\n/m);
      assert.doesNotMatch(text, /team\/\*/);
      const summary = await api<{ configs: { id: string; images: { repository: string; tag: string }[] }[] }>(server.url, '/summary?format=json');
      const images = summary.configs.find((c) => c.id === created.id)?.images ?? [];
      assert.deepEqual(images.map((image) => [image.repository, image.tag]).slice(0, 2), [['team/api', 'v4'], ['team/api', 'v5']]);
      const findings = await api<{ findings: { repository: string; tag: string; name: string }[] }>(server.url, `/findings/${created.id}`);
      assert.deepEqual(findings.findings.map((f) => [f.repository, f.tag, f.name]), [['team/old', 'x', 'CVE-2026-0001']]);
      const feed = await (await fetch(`${server.url}/findings/${created.id}`)).text();
      assert.match(feed, /<title>\[HIGH\] in image team\/old:x found CVE-2026-0001<\/title>/);
    });

    it('** with pushedWithin: every repository, only what was pushed lately', async () => {
      const created = await api<ConfigBody>(server.url, '/configs/', {
        method: 'POST',
        body: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: '**', pushedWithin: '4d' }),
      });
      const config = await waitForScan(server.url, created.id);
      assert.deepEqual(imagesOf(config), ['other/api:z', 'team/old:x', 'team/web:a', 'team/web:latest']);
    });

    it('a repository deleted between runs is reported and its findings closed as removed; the CLI shows progress', async () => {
      const configs = await api<(ConfigBody & { repository: string })[]>(server.url, '/configs/');
      const team = configs.find((c) => c.repository === 'team/*');
      assert.ok(team);
      endpoint.deleteRepository('team/old');
      // Slow enough that the CLI, polling every second, sees the scan between its listing and its end.
      endpoint.setLatency(700);
      const outcome = await execute(['scan', team.id], { ECRSCANAPI_URL: server.url });
      endpoint.setLatency(0);
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.match(outcome.stdout, /SCANNING: [0-4]\/4 images\n/, 'the running scan counts its four digests');
      const config = await waitForScan(server.url, team.id);
      assert.deepEqual(imagesOf(config), ['team/api:v4', 'team/api:v5', 'team/web:a', 'team/web:b']);

      const events = await api<{ events: { type: string; repository: string; tag: string; closedFindings?: number }[] }>(
        server.url,
        `/events?config=${team.id}&type=image.removed`,
      );
      assert.deepEqual(
        events.events.map((e) => [e.repository, e.tag, e.closedFindings]),
        [['team/old', 'x', 1]],
      );
      const findings = await api<{ findings: { repository: string; status: string; fixedAt: string | null }[] }>(server.url, `/findings/${team.id}?status=all`);
      assert.equal(findings.findings.length, 1, 'kept, not deleted');
      assert.equal(findings.findings[0]?.status, 'FIXED');
      assert.equal(findings.findings[0]?.repository, 'team/old');
    });

    it('the CLI changes the selection and shows each image with its repository', async () => {
      const configs = await api<(ConfigBody & { repository: string; newest: number | null; exclude: string[] | null })[]>(server.url, '/configs/');
      const team = configs.find((c) => c.repository === 'team/*');
      assert.ok(team);
      const env = { ECRSCANAPI_URL: server.url };
      const bad = await execute(['configs', 'set', team.id, '--newest', 'three'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^ecrscan: --newest must be a whole number or "default", got "three"\n$/);
      const set = await execute(['configs', 'set', team.id, '--newest', '1', '--exclude', 'default'], env);
      assert.equal(set.code, 0, set.stderr);
      const changed = await api<{ newest: number | null; exclude: string[] | null }>(server.url, `/configs/${team.id}`);
      assert.deepEqual([changed.newest, changed.exclude], [1, null]);
      const show = await execute(['configs', 'show', team.id], env);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /^newest: +the 1 most recently pushed per repository$/m);
      assert.match(show.stdout, /^REPOSITORY +TAG +DIGEST +STATUS/m);
      assert.match(show.stdout, /^team\/web +a /m);
    });

    it('refuses bad selection fields with a problem naming the field, and changes nothing', async () => {
      const before = await api<unknown[]>(server.url, '/configs/');
      for (const [body, field] of [
        [{ newest: 0 }, 'newest'],
        [{ pushedWithin: 'soon' }, 'pushedWithin'],
        [{ exclude: ['ok', 'ok'] }, 'exclude'],
        [{ repository: 'team/*/' }, 'repository'],
        [{ repository: 'Team/*' }, 'repository'],
      ] as const) {
        const response = await fetch(`${server.url}/configs/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: 'team/*', ...body }),
        });
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        const problem = (await response.json()) as { field?: string };
        assert.equal(problem.field, field, JSON.stringify(body));
      }
      assert.equal((await api<unknown[]>(server.url, '/configs/')).length, before.length);
    });
  });
}

describe('the request budget over ECR', () => {
  it('every call of a scan, polls and the scanning-mode lookup included, goes through the region\'s budget', async () => {
    const endpoint = await startEcrEndpoint({ pollsUntilDone: 1 });
    try {
      endpoint.addRepository('team/api', [{ digest: digestOf('budget:1'), tags: ['1'], pushedAt: ago(1) }]);
      const budget = createRequestBudget({ limitsFor: () => ({ rps: 1000, connections: 1 }) });
      const hosts: string[] = [];
      const counting = { ...budget, acquire: (host: string, signal?: AbortSignal) => (hosts.push(host), budget.acquire(host, signal)) };
      const scanner = createEcrScanner({
        budget: counting,
        pollIntervalMs: 5,
        clientOptions: { requestTimeoutMs: 5_000, maxAttempts: 2, config: { endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } } },
      });
      const config = { id: 'c', created: new Date(), region: 'us-west-2', registry: '123456789012', repository: 'team/*', tags: null, schedule: null, scanner: 'ecr' as const, platform: null, newest: 1 };
      const signal = AbortSignal.timeout(20_000);
      const listed = await scanner.listImages(config, signal);
      assert.deepEqual(listed.images, [{ tag: '1', digest: digestOf('budget:1'), repository: 'team/api' }]);
      const outcome = await scanner.scanImage(config, listed.images[0]!, signal);
      scanner.close();
      assert.equal(outcome.status, 'COMPLETE');
      assert.ok(endpoint.callCount('DescribeImageScanFindings') >= 2, 'a poll while the scan runs, then the findings');
      assert.equal(hosts.length, endpoint.callCount(), 'one budget slot per request the endpoint received');
      assert.deepEqual([...new Set(hosts)], ['api.ecr.us-west-2.amazonaws.com']);
    } finally {
      await endpoint.close();
    }
  });
});
