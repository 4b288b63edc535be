import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { runCli, type ServerProcess, startServer } from './support/cli-process.js';

const POLICY = `# kept in git next to the deployment
suppressions:
  - id: openssl-behind-proxy
    vulnerability: CVE-2024-1234
    package: openssl
    repository: team/*
    status: not_affected
    justification: vulnerable_code_not_in_execute_path
    reason: TLS terminates at the proxy
    expiresAt: 2099-01-31
  - id: zlib-accepted
    vulnerability: GHSA-aaaa-bbbb-cccc
    tag: "1.*"
    status: accepted_risk
    reason: only in the build stage
`;

describe('ecrscan suppressions against a running server', () => {
  let dir: string;
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-cli-suppressions-'));
    server = await startServer([], { DATABASE_URL: join(dir, 'db.sqlite') });
    env = { ECRSCANAPI_URL: server.url };
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies a file idempotently by id, lists and removes', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, POLICY);
    const first = await execute(['suppressions', 'apply', file], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), '2 created, 0 changed, 0 unchanged');
    const again = await execute(['suppressions', 'apply', file], env);
    assert.equal(again.stdout.trim(), '0 created, 0 changed, 2 unchanged');
    await writeFile(file, POLICY.replace('only in the build stage', 'only in the build stage, see ADR-7'));
    const changed = await execute(['suppressions', 'apply', file], env);
    assert.equal(changed.stdout.trim(), '0 created, 1 changed, 1 unchanged');

    const listed = await execute(['suppressions', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+VULNERABILITY\s+SCOPE\s+STATUS\s+EXPIRES\s+STATE\s+REASON$/m);
    assert.match(listed.stdout, /openssl-behind-proxy\s+CVE-2024-1234\s+package openssl, repository team\/\*\s+not_affected \(vulnerable_code_not_in_execute_path\)\s+2099-01-31T00:00:00\.000Z\s+active/);
    const json = await execute(['suppressions', 'list', '--json'], env);
    assert.deepEqual((JSON.parse(json.stdout) as Array<{ id: string; reason: string }>).map((s) => [s.id, s.reason]), [
      ['openssl-behind-proxy', 'TLS terminates at the proxy'],
      ['zlib-accepted', 'only in the build stage, see ADR-7'],
    ]);

    const removed = await execute(['suppressions', 'rm', 'zlib-accepted'], env);
    assert.equal(removed.stdout.trim(), 'removed zlib-accepted');
    const missing = await runCli(['suppressions', 'rm', 'zlib-accepted'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'ecrscan: no suppression with id zlib-accepted (field: id)\n');
  });

  it('refuses a bad file in one line, naming the entry, and sends nothing', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, POLICY.replace('status: accepted_risk', 'status: ignore_it').replace('openssl-behind-proxy', 'new-one'));
    const bad = await runCli(['suppressions', 'apply', file], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ecrscan: .*bad\.yaml: entry 2 \(zlib-accepted\): status .*\n$/);
    const listed = await execute(['suppressions', 'list', '--json'], env);
    assert.ok(!listed.stdout.includes('new-one'), 'the valid first entry was not sent either');

    await writeFile(file, 'suppressions: [unclosed');
    const broken = await runCli(['suppressions', 'apply', file], env);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^ecrscan: .*bad\.yaml: not valid YAML: /);
    const absent = await runCli(['suppressions', 'apply', join(dir, 'absent.yaml')], env);
    assert.match(absent.stderr, /^ecrscan: cannot read .*absent\.yaml: ENOENT\n$/);
  });
});
