import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { runCli, type ServerProcess, startServer } from './support/cli-process.js';

describe('ecrscan CLI against a running server', () => {
  let dir: string;
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;
  let closedUrl: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-cli-'));
    closedUrl = `http://127.0.0.1:${await closedPort()}`;
    // No scanner can reach AWS here: point ECR at a closed port so scans fail fast and visibly.
    server = await startServer([], { DATABASE_URL: join(dir, 'db.sqlite'), AWS_ENDPOINT_URL_ECR: closedUrl, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    env = { ECRSCANAPI_URL: server.url };
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds, lists, summarises and removes configurations', async () => {
    const file = join(dir, 'scan-config-ubuntu.json');
    await writeFile(file, JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu', tags: ['16.04', 'latest'] }));
    const added = await execute(['configs', 'add', file], env);
    assert.equal(added.code, 0, added.stderr);
    const id = /added ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
    assert.ok(id, added.stdout);

    const listed = await execute(['configs', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+REPOSITORY\s+REGISTRY/m);
    assert.match(listed.stdout, new RegExp(`${id}\\s+test/ubuntu\\s+123456789012 \\(us-west-2\\)\\s+16.04,latest\\s+ecr`));

    const json = await execute(['configs', 'list', '--json', '--url', server.url], {});
    assert.equal(JSON.parse(json.stdout)[0].id, id);

    const summary = await execute(['summary'], env);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /^REPOSITORY\s+TAG\s+WHERE\s+STATUS\s+CRIT\s+HIGH\s+MED\s+LOW\s+INFO\s+UNDEF$/m);
    assert.match(summary.stdout, /test\/ubuntu/);
    assert.match(summary.stdout, /Total open findings: CRITICAL 0/);

    const removed = await execute(['configs', 'rm', id], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), `removed ${id}`);
    const again = await runCli(['configs', 'rm', id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `ecrscan: no scan configuration with id ${id} (field: id)\n`);
  });

  it('shows the event log, as a table and as JSON lines', async () => {
    const file = join(dir, 'scan-config-events.json');
    await writeFile(file, JSON.stringify({ region: 'us-west-2', registry: '123456789012', repository: 'test/events', tags: ['1'] }));
    const added = await execute(['configs', 'add', file], env);
    const id = /added ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
    assert.ok(id, added.stdout);
    // ECR is unreachable here: the scan fails, and that transition is an event.
    let lines: Array<{ type: string; configId: string; error?: string; cursor: string }> = [];
    for (let attempt = 0; attempt < 150 && !lines.some((event) => event.type === 'scan.failed'); attempt++) {
      const json = await execute(['events', '--json', '--config', id], env);
      assert.equal(json.code, 0, json.stderr);
      lines = json.stdout.trim() === '' ? [] : json.stdout.trim().split('\n').map((line) => JSON.parse(line));
      if (!lines.some((event) => event.type === 'scan.failed')) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const failed = lines.find((event) => event.type === 'scan.failed');
    assert.ok(failed, `no scan.failed event: ${JSON.stringify(lines)}`);
    assert.equal(failed.configId, id);
    const table = await execute(['events', '--config', id, '--type', 'scan.failed'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME\s+EVENT\s+IMAGE\s+DETAIL$/m);
    assert.match(table.stdout, /scan\.failed\s+test\/events\s/);
    const none = await execute(['events', '--config', id, '--type', 'finding.new'], env);
    assert.equal(none.stdout.trim(), 'no events yet');
    await execute(['configs', 'rm', id], env);
  });

  it('reports bad input in one line with a non-zero exit', async () => {
    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ registry: '123456789012', repository: 'UPPER' }));
    const cases: Array<{ args: string[]; code: number; stderr: RegExp; env?: NodeJS.ProcessEnv }> = [
      { args: ['configs', 'add', invalid], code: 1, stderr: /^ecrscan: repository has an invalid format \(field: repository\)\n$/ },
      { args: ['configs', 'add', join(dir, 'missing.json')], code: 1, stderr: /^ecrscan: cannot read .*missing\.json: ENOENT\n$/ },
      { args: ['configs', 'add'], code: 2, stderr: /^ecrscan: configs add needs a FILE/ },
      { args: ['configs', 'frobnicate'], code: 2, stderr: /^ecrscan: unknown configs action "frobnicate"/ },
      { args: ['summary', '--colour'], code: 2, stderr: /^ecrscan: Unknown option '--colour'/ },
      { args: ['nope'], code: 2, stderr: /^ecrscan: unknown command "nope"/ },
      { args: ['events', '--limit', '0'], code: 2, stderr: /^ecrscan: --limit must be from 1 to 1000, got "0"\n$/ },
      { args: ['events', '--type', 'finding.exploded'], code: 1, stderr: /^ecrscan: type must be one or more of finding\.new, .* \(field: type\)\n$/ },
      { args: ['summary'], code: 1, stderr: /^ecrscan: cannot reach the server at http:\/\/127\.0\.0\.1:[0-9]+ \(ECONNREFUSED\)/, env: { ECRSCANAPI_URL: closedUrl } },
      { args: ['summary', '--url', 'ftp://x'], code: 2, stderr: /^ecrscan: the server URL must be http/ },
      { args: ['serve'], code: 2, stderr: /^ecrscan: PORT must be a whole number from 0 to 65535, got "eighty"\n$/, env: { PORT: 'eighty' } },
      { args: ['serve', '--host', '0.0.0.0'], code: 2, stderr: /^ecrscan: refusing to listen on 0\.0\.0\.0 without ECRSCAN_API_TOKEN/ },
      { args: ['serve', '--schedule', '1m'], code: 2, stderr: /^ecrscan: --schedule must be a duration of at least 5m/ },
    ];
    for (const testCase of cases) {
      const result = await execute(testCase.args, { ...env, ...testCase.env });
      assert.equal(result.code, testCase.code, `${testCase.args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, testCase.stderr, testCase.args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('exits non-zero with one line on stderr as a real process', async () => {
    const unknown = await runCli(['configs', 'rm', '4471c156-29f5-40fe-883b-3cd26738d5a6'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'ecrscan: no scan configuration with id 4471c156-29f5-40fe-883b-3cd26738d5a6 (field: id)\n');
    const badEnv = await runCli(['serve'], { PORT: '-1' });
    assert.equal(badEnv.code, 2);
    assert.equal(badEnv.stderr, 'ecrscan: PORT must be a whole number from 0 to 65535, got "-1"\n');
    assert.equal(badEnv.stdout, '');
  });

  it('prints help for every command', async () => {
    for (const command of ['serve', 'configs', 'summary', 'scan', 'events']) {
      const help = await execute([command, '--help'], {});
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`ecrscan ${command}`));
    }
    const serveHelp = await execute(['serve', '--help'], {});
    assert.match(serveHelp.stdout, /--database-url\s+DATABASE_URL/);
    assert.match(serveHelp.stdout, /--scheduler-only/);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const other = await startServer([], { DATABASE_URL: join(dir, 'other.sqlite') });
    assert.equal((await fetch(`${other.url}/healthz`)).status, 200);
    assert.equal(await other.stop('SIGTERM'), 0);
  });
});

/** A loopback port nothing listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
