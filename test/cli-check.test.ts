import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { ScanError } from '../src/scanners/scanner.js';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { freePort } from './support/registry-server.js';
import { createTestService, type TestService } from './support/test-service.js';

/**
 * `ecrscan check ID --fail-on SEVERITY`, the pipeline gate on a configuration's continuous
 * results, against a running service: 0 under the threshold, 1 at or over it, 2 for usage
 * errors, 3 when the results cannot be judged.
 */

const [sqlite] = await databases();

describe('ecrscan check', () => {
  let service: TestService;
  let env: NodeJS.ProcessEnv;
  const ids: Record<string, string> = {};

  async function register(repository: string, tags: string[]): Promise<string> {
    const created = await service.app.inject({
      method: 'POST',
      url: '/configs',
      headers: { 'content-type': 'application/json' },
      payload: { registry: 'registry.example.internal:5000', repository, tags },
    });
    return (created.json() as { id: string }).id;
  }

  before(async () => {
    service = await createTestService(await sqlite!.openStore());
    service.scanner.setRepository('team/api', {
      tags: { '1.0': 'sha256:api' },
      findings: { 'sha256:api': [finding('CVE-2024-0001', 'HIGH', { fixedVersion: '3.0.15-1' }), finding('CVE-2024-0002', 'LOW')] },
    });
    service.scanner.setRepository('team/waived', { tags: { '1.0': 'sha256:waived' }, findings: { 'sha256:waived': [finding('CVE-2024-0005', 'CRITICAL'), finding('CVE-2024-0006', 'LOW')] } });
    service.scanner.setRepository('team/web', { tags: { '1.0': 'sha256:web' }, findings: { 'sha256:web': [finding('CVE-2024-0003', 'MEDIUM')] } });
    service.scanner.setRepository('team/half', {
      tags: { '1.0': 'sha256:ok', '2.0': 'sha256:broken' },
      findings: { 'sha256:ok': [finding('CVE-2024-0004', 'LOW')] },
      failures: { 'sha256:broken': new ScanError('FAILED', 'the registry refused the layer') },
    });
    ids.api = await register('team/api', ['1.0']);
    ids.web = await register('team/web', ['1.0']);
    ids.half = await register('team/half', ['1.0', '2.0']);
    ids.waived = await register('team/waived', ['1.0']);
    await service.scheduler.runDue();
    ids.fresh = await register('team/fresh', ['1.0']);
    const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
    env = { ECRSCANAPI_URL: url };
  });
  after(() => service.close());

  it('fails with 1 when open findings at or above the threshold remain, and lists them', async () => {
    const run = await execute(['check', ids.api!, '--fail-on', 'high'], env);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^HIGH\s+CVE-2024-0001\s/m);
    assert.doesNotMatch(run.stdout, /CVE-2024-0002/, 'a finding under the threshold is not listed');
    assert.equal(run.stderr, 'ecrscan: registry.example.internal:5000/team/api: 1 open finding at CRITICAL, HIGH\n');
    const low = await execute(['check', ids.api!.slice(0, 8), '--fail-on', 'LOW'], env);
    assert.equal(low.code, 1);
    assert.match(low.stderr, /2 open findings at CRITICAL, HIGH, MEDIUM, LOW/);
  });

  it('passes with 0 when every open finding is under the threshold', async () => {
    const run = await execute(['check', ids.web!, '--fail-on', 'HIGH'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /team\/web: no open findings at CRITICAL, HIGH \(last scan /);
  });

  it('does not count a suppressed finding, and counts it again once the suppression is gone', async () => {
    const before = await execute(['check', ids.waived!, '--fail-on', 'HIGH'], env);
    assert.equal(before.code, 1, 'unsuppressed, the critical finding fails the gate');
    const created = await service.app.inject({
      method: 'POST',
      url: '/suppressions',
      headers: { 'content-type': 'application/json' },
      payload: { id: 'check-waiver', vulnerability: 'CVE-2024-0005', repository: 'team/waived', status: 'accepted_risk', reason: 'not reachable from the network' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const run = await execute(['check', ids.waived!, '--fail-on', 'HIGH'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /CVE-2024-0005/);
    assert.match(run.stdout, /team\/waived: no open findings at CRITICAL, HIGH/);
    assert.equal((await execute(['check', ids.waived!, '--fail-on', 'LOW'], env)).code, 1, 'an unsuppressed finding still fails a lower threshold');
    assert.equal((await service.app.inject({ method: 'DELETE', url: '/suppressions/check-waiver' })).statusCode, 204);
    assert.equal((await execute(['check', ids.waived!, '--fail-on', 'HIGH'], env)).code, 1, 'without the suppression the finding counts again');
  });

  it('cannot judge a configuration never scanned, one whose last scan left images out, an unknown one, or an unreachable server: exit 3', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const runs = {
      fresh: await execute(['check', ids.fresh!, '--fail-on', 'HIGH'], env),
      partial: await execute(['check', ids.half!, '--fail-on', 'HIGH'], env),
      unknown: await execute(['check', '00000000-0000-4000-8000-000000000000', '--fail-on', 'HIGH'], env),
      unreachable: await execute(['check', ids.web!, '--fail-on', 'HIGH'], { ECRSCANAPI_URL: unreachable }),
    };
    for (const [label, run] of Object.entries(runs)) {
      assert.equal(run.code, 3, `${label}: ${run.stderr}`);
      assert.match(run.stderr, /^ecrscan: [^\n]+\n$/, label);
    }
    assert.match(runs.fresh.stderr, /has not been scanned yet/);
    assert.match(runs.partial.stderr, /the last scan ended PARTIAL/);
    // Over the threshold, a partial scan fails the gate as a finding does: what was scanned is enough to say no.
    const partialOver = await execute(['check', ids.half!, '--fail-on', 'LOW'], env);
    assert.equal(partialOver.code, 1);
  });

  it('usage errors: one line, exit 2', async () => {
    for (const args of [['check', ids.api!], ['check', ids.api!, '--fail-on', 'severe'], ['check', '--fail-on', 'HIGH'], ['check', ids.api!, 'extra', '--fail-on', 'HIGH']]) {
      const run = await execute(args, env);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^ecrscan: /);
    }
  });
});
