import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { ScanError } from '../src/scanners/scanner.js';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';
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
    assert.match(listed.stdout, /^ID\s+REPOSITORY\s+TAGS\s+SCANNER\s+STATUS\s+NEXT SCAN\s+LAST ERROR$/m);
    assert.match(listed.stdout, new RegExp(`^${id.slice(0, 8)}\\s+test/ubuntu\\s+16.04,latest\\s+ecr\\s+`, 'm'));

    const shown = await execute(['configs', 'show', id.slice(0, 8)], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^id:\\s+${id}$`, 'm'), 'the start of an id is enough');
    assert.match(shown.stdout, /^registry:\s+123456789012 \(us-west-2\)$/m);
    assert.match(shown.stdout, /^platform:\s+linux\/amd64$/m);
    assert.match(shown.stdout, /^next scan:\s+/m);

    const json = await execute(['configs', 'list', '--json', '--url', server.url], {});
    assert.equal(JSON.parse(json.stdout)[0].id, id);

    const summary = await execute(['summary'], env);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /^REPOSITORY\s+TAG\s+WHERE\s+STATUS\s+CRIT\s+HIGH\s+MED\s+LOW\s+INFO\s+UNDEF$/m);
    assert.match(summary.stdout, /test\/ubuntu/);
    assert.match(summary.stdout, /^TOTAL(\s+0){6}$/m);

    // The ECR scan of the new configuration creates an AWS SDK client, which warns about Node versions.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const deadline = Date.now() + 20_000;
      while (!/runtime warning/.test(server.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const warning = server.output().split('\n').find((line) => line.includes('"runtime warning"'));
      assert.ok(warning, 'the warning went through the logger');
      assert.match(JSON.parse(warning).detail, /AWS SDK for JavaScript/);
      assert.doesNotMatch(server.output(), /^\(node:[0-9]+\)|^will require node/m, 'nothing raw on stderr');
    }

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
      { args: ['configs', 'add', invalid], code: 1, stderr: /^ecrscan: repository must be lower-case path components .* \(field: repository\)\n$/ },
      { args: ['findings'], code: 2, stderr: /^ecrscan: findings needs the ID/ },
      { args: ['findings', '4471c156-29f5-40fe-883b-3cd26738d5a6', '--status', 'open'], code: 2, stderr: /^ecrscan: --status must be one of active, suppressed, fixed, all, got "open"\n$/ },
      { args: ['findings', '4471c156-29f5-40fe-883b-3cd26738d5a6', '--severity', 'high,severe'], code: 2, stderr: /^ecrscan: --severity takes CRITICAL, HIGH/ },
      { args: ['findings', '4471c156-29f5-40fe-883b-3cd26738d5a6', '--min-epss', '2'], code: 2, stderr: /^ecrscan: --min-epss takes a number from 0 to 1, got "2"\n$/ },
      { args: ['findings', '4471c156-29f5-40fe-883b-3cd26738d5a6', '--sort', 'worst'], code: 2, stderr: /^ecrscan: --sort takes risk or severity, got "worst"\n$/ },
      { args: ['events', '--kev', '--min-epss', 'likely'], code: 2, stderr: /^ecrscan: --min-epss takes a number from 0 to 1, got "likely"\n$/ },
      { args: ['findings', '4471c156-29f5-40fe-883b-3cd26738d5a6'], code: 1, stderr: /^ecrscan: no scan configuration with id 4471c156-29f5-40fe-883b-3cd26738d5a6 \(field: id\)\n$/ },
      { args: ['configs', 'show', 'e7c3b83c-b995-44d3-942b-8b1001f33ae'], code: 1, stderr: /^ecrscan: no scan configuration with id e7c3b83c-b995-44d3-942b-8b1001f33ae/ },
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
      { args: ['serve', '--schedule', '1m'], code: 2, stderr: /^ecrscan: --schedule must be a duration from 5m to 366d/ },
      {
        args: ['serve', '--port', '0'],
        code: 2,
        stderr: /^ecrscan: ECRSCAN_OSV_SOURCES names \/nonexistent\/osv\/Debian-all\.zip, which does not exist\n$/,
        env: { ECRSCAN_OSV_SOURCES: 'https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip,/nonexistent/osv/Debian-all.zip' },
      },
      { args: ['serve', '--port', '0'], code: 2, stderr: /^ecrscan: ECRSCAN_TOKENS_FILE \/nonexistent\/tokens\.json cannot be read: ENOENT\n$/, env: { ECRSCAN_TOKENS_FILE: '/nonexistent/tokens.json' } },
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
    for (const command of ['serve', 'configs', 'findings', 'summary', 'scan', 'events', 'image', 'check']) {
      const help = await execute([command, '--help'], {});
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`ecrscan ${command}`));
      for (const line of help.stdout.split('\n')) assert.ok(line.length <= 80, `${command} --help fits 80 columns: ${line}`);
    }
    const serveHelp = await execute(['serve', '--help'], {});
    assert.match(serveHelp.stdout, /--port N\s+Port to listen on/);
    assert.match(serveHelp.stdout, /--database-url URL\|PATH\s+A SQLite file path/);
    assert.match(serveHelp.stdout, /\(DATABASE_URL\)/);
    assert.match(serveHelp.stdout, /--scheduler-only/);
    const configsHelp = await execute(['configs', 'add', '--help'], {});
    for (const field of ['registry', 'region', 'repository', 'tags', 'schedule', 'scanner', 'platform']) {
      assert.match(configsHelp.stdout, new RegExp(`^  ${field}\\s{2,}`, 'm'), `configs add --help documents ${field}`);
    }
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const other = await startServer([], { DATABASE_URL: join(dir, 'other.sqlite') });
    assert.equal((await fetch(`${other.url}/healthz`)).status, 200);
    assert.equal(await other.stop('SIGTERM'), 0);
  });
});

const [sqlite] = await databases();

describe('ecrscan against a server with tokens', () => {
  let service: TestService;
  let url: string;
  before(async () => {
    service = await createTestService(await sqlite!.openStore(), { apiToken: 'the-cli-test-admin-token' });
    url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => service.close());

  it('says which variable to set when the token is missing or wrong, and works with the right one', async () => {
    const missing = await execute(['configs', 'list'], { ECRSCANAPI_URL: url });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ecrscan: send a token .* \(the server needs a token: set ECRSCAN_API_TOKEN\)\n$/);
    const wrong = await execute(['configs', 'list'], { ECRSCANAPI_URL: url, ECRSCAN_API_TOKEN: 'not-the-token-at-all' });
    assert.match(wrong.stderr, /^ecrscan: the token is not valid \(the server does not know the token in ECRSCAN_API_TOKEN\)\n$/);
    const right = await execute(['configs', 'list'], { ECRSCANAPI_URL: url, ECRSCAN_API_TOKEN: 'the-cli-test-admin-token' });
    assert.equal(right.code, 0, right.stderr);
  });
});

describe('ecrscan findings and tables in 80 columns', () => {
  let service: TestService;
  let env: NodeJS.ProcessEnv;
  let id: string;
  const longError = `pulling the image failed: ${'the registry answered something long and unhelpful '.repeat(4)}`;

  before(async () => {
    service = await createTestService(await sqlite!.openStore());
    service.scanner.setRepository('team/very-long-repository-name-for-a-service', {
      tags: { '1.0': 'sha256:one', '2.0': 'sha256:two' },
      findings: {
        'sha256:one': [
          finding('CVE-2024-0001', 'LOW', { package: 'libsomething-with-a-very-long-package-name-indeed', version: '1.2.3-4+deb12u1~really-long' }),
          finding('CVE-2024-0002', 'CRITICAL', { fixedVersion: '3.0.15-1' }),
          finding('GHSA-xxxx-yyyy-zzzz', 'HIGH', { package: 'lodash' }),
        ],
      },
      failures: { 'sha256:two': new ScanError('FAILED', longError) },
    });
    const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
    env = { ECRSCANAPI_URL: url };
    const created = await service.app.inject({
      method: 'POST',
      url: '/configs',
      headers: { 'content-type': 'application/json' },
      payload: { registry: 'registry.example.internal:5000', repository: 'team/very-long-repository-name-for-a-service', tags: ['1.0', '2.0', 'release-*'] },
    });
    id = created.json().id;
    await service.scheduler.runDue();
  });
  after(() => service.close());

  function fits(text: string): void {
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: "${line}" (${line.length})`);
  }

  it('lists findings most severe first, filtered by severity and status', async () => {
    const all = await execute(['findings', id], env);
    assert.equal(all.code, 0, all.stderr);
    fits(all.stdout);
    const rows = all.stdout.split('\n').filter((line) => /^(CRITICAL|HIGH|LOW)\s/.test(line));
    assert.deepEqual(rows.map((row) => row.split(/\s+/)[0]), ['CRITICAL', 'HIGH', 'LOW']);
    assert.match(all.stdout, /libsomething-.*…/, 'a long package name is cut');
    assert.match(all.stdout, /^3 findings$/m);

    const high = await execute(['findings', id.slice(0, 8), '--severity', 'critical,High'], env);
    assert.equal(high.code, 0, high.stderr);
    assert.match(high.stdout, /^2 findings$/m);
    assert.doesNotMatch(high.stdout, /^LOW/m);

    const fixed = await execute(['findings', id, '--status', 'fixed'], env);
    assert.equal(fixed.stdout.trim(), 'no fixed findings');

    const json = await execute(['findings', id, '--json', '--severity', 'low'], env);
    const parsed = JSON.parse(json.stdout) as { findings: Array<{ package: string }> };
    assert.deepEqual(parsed.findings.map((each) => each.package), ['libsomething-with-a-very-long-package-name-indeed'], 'JSON keeps every text in full');
  });

  it('lists what can be fixed, in the server\'s risk order', async () => {
    const fixable = await execute(['findings', id, '--fixable', '--json'], env);
    assert.equal(fixable.code, 0, fixable.stderr);
    assert.deepEqual((JSON.parse(fixable.stdout) as { findings: Array<{ name: string }> }).findings.map((each) => each.name), ['CVE-2024-0002']);
    // No KEV or EPSS data here: risk falls back to the severity weight.
    const risk = await execute(['findings', id, '--sort', 'risk', '--min-epss', '0'], env);
    assert.equal(risk.code, 0, risk.stderr);
    assert.equal(risk.stdout.trim(), 'no active findings', 'no finding has an EPSS score, so none reaches 0');
    const ranked = await execute(['findings', id, '--sort', 'risk'], env);
    fits(ranked.stdout);
    assert.deepEqual(ranked.stdout.split('\n').filter((line) => /^(CRITICAL|HIGH|LOW)\s/.test(line)).map((row) => row.split(/\s+/)[0]), ['CRITICAL', 'HIGH', 'LOW']);
  });

  it('changes a configuration in place with configs set', async () => {
    const created = await service.app.inject({ method: 'POST', url: '/configs', headers: { 'content-type': 'application/json' }, payload: { registry: 'ghcr.io', repository: 'acme/settable', tags: ['1'] } });
    const settable = created.json().id as string;
    const changed = await execute(['configs', 'set', settable, '--tags', '1,2', '--schedule', '6h', '--platform', 'linux/arm64'], env);
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(changed.stdout.trim(), `changed ${settable}: tags 1,2, schedule 6h, scanner builtin, platform linux/arm64`);
    const back = await execute(['configs', 'set', settable.slice(0, 8), '--tags', 'all', '--schedule', 'default', '--platform', 'default', '--json'], env);
    const json = JSON.parse(back.stdout);
    assert.deepEqual([json.tags, json.schedule, json.platform], [null, '24h', 'linux/amd64']);
    const bad = await execute(['configs', 'set', settable, '--scanner', 'clair'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'ecrscan: scanner must be one of ecr, builtin (field: scanner)\n');
    const nothing = await execute(['configs', 'set', settable], env);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /needs at least one of --tags, --schedule, --scanner, --platform/);
    await service.app.inject({ method: 'DELETE', url: `/configs/${settable}` });
  });

  it('shows the last error and next scan in the list, and each image\'s error in show, within 80 columns', async () => {
    const listed = await execute(['configs', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    fits(listed.stdout);
    // The service's clock is the test's, the CLI's the machine's: the next scan is due or ahead.
    assert.match(listed.stdout, /PARTIAL\s+(due|in [0-9]+[mhd])\s+1 of 2 im/);
    const shown = await execute(['configs', 'show', id], env);
    fits(shown.stdout);
    assert.match(shown.stdout, /^2\.0\s+two\s+FAILED\s+pulling the image failed: the registry.*…$/m);
    assert.match(shown.stdout, /^1\.0\s+one\s+COMPLETE$/m);
    const json = await execute(['configs', 'show', id, '--json'], env);
    assert.equal(JSON.parse(json.stdout).images[1].error, longError, 'the full error in --json');
    const summary = await execute(['summary'], env);
    fits(summary.stdout);
    assert.match(summary.stdout, /^TOTAL\s+1\s+1\s+0\s+1\s+0\s+0$/m);
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
