import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execute } from '../src/cli/cli.js';
import { runCli, type ServerProcess, startServer } from './support/cli-process.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

describe('ecrscan subscriptions against a running server', () => {
  let dir: string;
  let server: ServerProcess;
  let receiver: WebhookReceiver;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-cli-subscriptions-'));
    receiver = await startWebhookReceiver();
    server = await startServer([], { DATABASE_URL: join(dir, 'db.sqlite'), ECRSCAN_WEBHOOK_ALLOW_PRIVATE: 'true' });
    env = { ECRSCANAPI_URL: server.url };
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds, lists, tests and removes a subscription', async () => {
    const added = await execute(['subscriptions', 'add', `${receiver.url}/slack`, '--format', 'slack'], env);
    assert.equal(added.code, 0, added.stderr);
    const id = /added ([0-9a-f-]{36}) \(slack to http:\/\/127\.0\.0\.1:[0-9]+\/…\)/.exec(added.stdout)?.[1];
    const secret = /secret: (whsec_\S+)/.exec(added.stdout)?.[1];
    assert.ok(id && secret, added.stdout);
    receiver.trust('/slack', secret);

    const listed = await execute(['subscriptions', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+URL\s+FORMAT\s+DIGEST\s+STATUS\s+LAST DELIVERY$/m);
    assert.match(listed.stdout, new RegExp(`${id}\\s+http://127\\.0\\.0\\.1:[0-9]+/…\\s+slack\\s+run\\s+active`));
    assert.ok(!listed.stdout.includes('whsec_'), 'the secret is shown once only');

    const tested = await execute(['subscriptions', 'test', id], env);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /^delivered \S+ \(HTTP 204\)$/m);
    const [message] = receiver.accepted('/slack');
    assert.ok(message && message.verified !== null, 'the receiver verified the test message');

    receiver.mode({ kind: 'fail', status: 404 }, '/slack');
    const failed = await runCli(['subscriptions', 'test', id], env);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^ecrscan: test message \S+ failed: HTTP 404/);

    const removed = await execute(['subscriptions', 'rm', id], env);
    assert.equal(removed.stdout.trim(), `removed ${id}`);
    const again = await runCli(['subscriptions', 'rm', id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `ecrscan: no subscription with id ${id} (field: id)\n`);
  });

  it('reports bad input in one line with a non-zero exit', async () => {
    const bad = await runCli(['subscriptions', 'add', 'ftp://example.com/hook'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'ecrscan: url must be an http or https URL (field: url)\n');
    const format = await runCli(['subscriptions', 'add', `${receiver.url}/x`, '--format', 'xml'], env);
    assert.equal(format.code, 1);
    assert.match(format.stderr, /^ecrscan: .*\(field: format\)\n$/);
    const usage = await runCli(['subscriptions', 'frobnicate'], env);
    assert.equal(usage.code, 2);
    assert.deepEqual(JSON.parse((await runCli(['subscriptions', 'list', '--json'], env)).stdout), [], 'nothing was added');
  });
});
