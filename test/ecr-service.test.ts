import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { databases } from './support/databases.js';
import { basicFinding, digestOf, type EcrEndpoint, ecrClientEnv, startEcrEndpoint } from './support/ecr-endpoint/index.js';

/**
 * The whole service as users run it: `ecrscan serve` as its own process, the real AWS SDK
 * inside it talking HTTP to an ECR-compatible endpoint, driven only through the HTTP API.
 */

const CENTOS_FINDINGS = [
  ...Array.from({ length: 7 }, (_, i) => basicFinding({ name: `CVE-2019-10${i}`, severity: 'HIGH', packageName: 'glibc', packageVersion: '2.17-292.el7' })),
  ...Array.from({ length: 20 }, (_, i) => basicFinding({ name: `CVE-2019-20${i}`, severity: 'MEDIUM', packageName: 'openssl', packageVersion: '1.0.2k-19.el7' })),
  ...Array.from({ length: 7 }, (_, i) => basicFinding({ name: `CVE-2019-30${i}`, severity: 'LOW', packageName: 'bash', packageVersion: '4.2.46-33.el7' })),
];

async function waitForScan(url: string, id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const config = (await (await fetch(`${url}/configs/${id}`)).json()) as Record<string, unknown>;
    if (['COMPLETE', 'PARTIAL', 'FAILED'].includes(String(config.status))) return config;
    if (Date.now() > deadline) throw new Error(`scan of ${id} did not finish: ${JSON.stringify(config)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function register(url: string, body: object): Promise<string> {
  const response = await fetch(`${url}/configs/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

for (const dialect of await databases()) {
  describe(`the service scanning ECR on ${dialect.name}`, () => {
    let endpoint: EcrEndpoint;
    let server: ServerProcess;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecrscan-ecr-'));
      endpoint = await startEcrEndpoint({ pollsUntilDone: 0 });
      endpoint.addRepository('test/centos', [{ digest: digestOf('centos:7'), tags: ['7'], findings: CENTOS_FINDINGS }]);
      endpoint.addRepository('test/ubuntu', [
        { digest: digestOf('ubuntu:16.04'), tags: ['16.04'], findings: [basicFinding({ name: 'CVE-2016-1585', severity: 'MEDIUM', packageName: 'apparmor', packageVersion: '2.10.95-0ubuntu2' })] },
        { digest: digestOf('ubuntu:20.04'), tags: ['latest', '20.04'], findings: [] },
      ]);
      endpoint.denyAccess('210987654321');
      const databaseUrl = dialect.name === 'sqlite' ? join(dir, 'db.sqlite') : await dialect.createDatabase();
      server = await startServer([], { DATABASE_URL: databaseUrl, ...ecrClientEnv(endpoint) });
    });
    after(async () => {
      await server?.stop();
      await endpoint?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('scans registered repositories right away and summarises them', async () => {
      const centos = await register(server.url, { region: 'us-west-2', registry: '123456789012', repository: 'test/centos' });
      const ubuntu = await register(server.url, { region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu', tags: ['16.04', 'latest'] });
      assert.equal((await waitForScan(server.url, centos)).status, 'COMPLETE');
      const ubuntuState = await waitForScan(server.url, ubuntu);
      assert.equal(ubuntuState.status, 'COMPLETE');
      assert.deepEqual(ubuntuState.images, [
        { repository: 'test/ubuntu', tag: '16.04', digest: digestOf('ubuntu:16.04'), status: 'COMPLETE', error: null },
        { repository: 'test/ubuntu', tag: 'latest', digest: digestOf('ubuntu:20.04'), status: 'COMPLETE', error: null },
      ]);
      const text = await (await fetch(`${server.url}/summary?format=text`)).text();
      assert.equal(
        text,
        'Results for test/centos:7 in us-west-2:\n HIGH: 7\n MEDIUM: 20\n LOW: 7\n\n' +
          'Results for test/ubuntu:16.04 in us-west-2:\n MEDIUM: 1\n\n' +
          'Results for test/ubuntu:latest in us-west-2:\n',
      );
      const findings = (await (await fetch(`${server.url}/findings/${ubuntu}`, { headers: { accept: 'application/json' } })).json()) as {
        findings: Array<Record<string, unknown>>;
      };
      assert.equal(findings.findings.length, 1);
      assert.equal(findings.findings[0]?.package, 'apparmor');
      assert.equal(findings.findings[0]?.version, '2.10.95-0ubuntu2');
      assert.equal(endpoint.image('test/centos', digestOf('centos:7'))?.scansStarted, 1);
    });

    it('rescans on request within the basic-scan quota using the latest findings', async () => {
      const configs = (await (await fetch(`${server.url}/configs`)).json()) as Array<{ id: string; repository: string; lastScan: string }>;
      const centos = configs.find((config) => config.repository === 'test/centos')!;
      const accepted = await fetch(`${server.url}/configs/${centos.id}/scan`, { method: 'POST' });
      assert.equal(accepted.status, 202);
      const deadline = Date.now() + 30_000;
      let state: Record<string, unknown>;
      do {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = (await (await fetch(`${server.url}/configs/${centos.id}`)).json()) as Record<string, unknown>;
      } while ((state.lastScan === centos.lastScan || state.status !== 'COMPLETE') && Date.now() < deadline);
      assert.equal(state.status, 'COMPLETE');
      assert.notEqual(state.lastScan, centos.lastScan);
      const summary = (await (await fetch(`${server.url}/summary?format=json`)).json()) as { configs: Array<{ id: string; images: Array<{ counts: object }> }> };
      assert.deepEqual(summary.configs.find((config) => config.id === centos.id)?.images[0]?.counts, { HIGH: 7, MEDIUM: 20, LOW: 7 });
    });

    it('follows a rescan to its end from the CLI', async () => {
      const configs = (await (await fetch(`${server.url}/configs`)).json()) as Array<{ id: string; repository: string }>;
      const ubuntu = configs.find((config) => config.repository === 'test/ubuntu')!;
      const outcome = await execute(['scan', ubuntu.id], { ECRSCANAPI_URL: server.url });
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.match(outcome.stdout, /^scan [0-9a-f-]{36} queued\n/);
      assert.match(outcome.stdout, /scan finished COMPLETE\n$/);
    });

    it('records a missing repository and a denied account on the configuration and keeps serving', async () => {
      const missing = await register(server.url, { region: 'us-west-2', registry: '123456789012', repository: 'does/not-exist' });
      const denied = await register(server.url, { region: 'eu-west-1', registry: '210987654321', repository: 'private/app' });
      const missingState = await waitForScan(server.url, missing);
      assert.equal(missingState.status, 'FAILED');
      assert.match(String(missingState.lastError), /does\/not-exist/);
      assert.doesNotMatch(String(missingState.lastError), /\n/);
      const deniedState = await waitForScan(server.url, denied);
      assert.equal(deniedState.status, 'FAILED');
      assert.match(String(deniedState.lastError), /denied|not authori[sz]ed/i);
      assert.doesNotMatch(String(deniedState.lastError), /wJalrXUtnFEMI|AKIDEXAMPLE/);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      const text = await (await fetch(`${server.url}/summary?format=text`)).text();
      assert.match(text, /Results for does\/not-exist in us-west-2:\n scan failed: .*does\/not-exist/);
    });
  });
}
