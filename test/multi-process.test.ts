import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { databases } from './support/databases.js';
import { basicFinding, digestOf, type EcrEndpoint, startEcrEndpoint } from './support/ecr-endpoint/index.js';

const CONFIGS = 200;
const postgres = (await databases()).find((dialect) => dialect.name === 'postgres');

/**
 * Three real service processes on one PostgreSQL database: leases and SKIP LOCKED must
 * give every due configuration to exactly one of them, and a process killed with -9
 * mid-scan must have its work finished by the others once its leases expire.
 */
describe('three service processes on one PostgreSQL', { skip: postgres ? false : 'PostgreSQL not available' }, () => {
  let endpoint: EcrEndpoint;
  let databaseUrl: string;
  let client: pg.Client;
  const servers: ServerProcess[] = [];

  before(async () => {
    endpoint = await startEcrEndpoint({ pollsUntilDone: 0, latencyMs: 5 });
    for (let i = 0; i < CONFIGS; i += 1) {
      endpoint.addRepository(`fleet/app${i}`, [{ digest: digestOf(`app${i}`), tags: ['latest'], findings: [basicFinding({ name: `CVE-2026-${1000 + i}`, severity: 'HIGH', packageName: 'zlib', packageVersion: '1.2.13' })] }]);
    }
    databaseUrl = await postgres!.createDatabase();
    client = new pg.Client({ connectionString: databaseUrl });
    const env = {
      DATABASE_URL: databaseUrl,
      AWS_ENDPOINT_URL_ECR: endpoint.url,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
      AWS_EC2_METADATA_DISABLED: 'true',
      ECRSCAN_CONCURRENCY: '4',
      ECRSCAN_LEASE_SECONDS: '10',
    };
    // Started together: their migrations race on the empty database and must not collide.
    servers.push(...(await Promise.all([startServer([], env), startServer([], env), startServer(['--scheduler-only'], env)])));
    await client.connect();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await client?.end();
    await endpoint?.close();
  });

  async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    return Number((await client.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
  }

  it('scans each of 200 due configurations exactly once', async () => {
    const api = servers[0]!.url;
    await Promise.all(
      Array.from({ length: CONFIGS }, async (_, i) => {
        const response = await fetch(`${api}/configs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: `fleet/app${i}` }),
        });
        assert.equal(response.status, 201);
      }),
    );
    await waitUntil(async () => (await count(`select count(*) as n from configs where status = 'COMPLETE'`)) === CONFIGS, 60_000, 'every configuration scanned');
    assert.equal(await count(`select count(*) as n from scan_runs where outcome = 'COMPLETE'`), CONFIGS, 'one completed run per configuration');
    assert.equal(endpoint.callCount('StartImageScan'), CONFIGS, 'one scan started per image');
    const owners = await count(`select count(distinct owner) as n from scan_runs`);
    assert.ok(owners >= 2, `the work was shared (${owners} processes took part)`);
    const summary = (await (await fetch(`${servers[1]!.url}/summary?format=json`)).json()) as { totals: Record<string, number> };
    assert.deepEqual(summary.totals, { HIGH: CONFIGS }, 'an API process sees what the others wrote');
  });

  it('finishes the configurations of a process killed mid-scan', async () => {
    endpoint.setLatency(400);
    const requested = new Date();
    await client.query(`update configs set next_scan_at = $1`, [requested.getTime()]);
    await waitUntil(async () => (await count(`select count(*) as n from configs where status = 'SCANNING' and lease_owner is not null`)) >= 6, 20_000, 'scans in flight');
    // Lease owners are host:pid:nonce, so the process holding a running scan can be found and killed.
    const owner = (await client.query<{ owner: string }>(`select owner from scan_runs where outcome = 'RUNNING' order by started_at limit 1`)).rows[0]?.owner;
    const victim = servers.find((server) => owner?.split(':')[1] === String(server.child.pid));
    assert.ok(victim, `a test process holds the lease (${owner})`);
    const heldByVictim = await count(`select count(*) as n from configs where lease_owner = $1`, [owner]);
    await victim.stop('SIGKILL');
    endpoint.setLatency(5);
    await waitUntil(
      async () => (await count(`select count(*) as n from configs where status = 'COMPLETE' and last_scan_at >= $1`, [requested.getTime()])) === CONFIGS,
      90_000,
      'every configuration rescanned after the kill',
    );
    const abandoned = await count(`select count(*) as n from scan_runs where outcome = 'ABANDONED'`);
    const stillRunning = await count(`select count(*) as n from scan_runs where outcome = 'RUNNING'`);
    assert.equal(stillRunning, 0);
    assert.ok(abandoned >= heldByVictim, `the killed process's ${heldByVictim} runs were abandoned and redone (${abandoned})`);
    const survivor = servers.find((server) => server !== victim && server.child.exitCode === null && server.url);
    const health = await fetch(`${survivor!.url}/readyz`);
    assert.equal(health.status, 200);
  });
});
