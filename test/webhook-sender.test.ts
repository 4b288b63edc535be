import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClaimedDelivery } from '../src/domain/subscription.js';
import { generateSecret } from '../src/notify/secrets.js';
import { sendDelivery } from '../src/notify/sender.js';
import { createWebhookAgent } from '../src/notify/webhook-target.js';
import { startHttpServer, type TestHttpServer } from './support/http-server.js';

function delivery(url: string): ClaimedDelivery {
  const now = new Date();
  return {
    seq: 1,
    messageId: 'msg_test',
    kind: 'test',
    contentType: 'application/json',
    body: '{}',
    attempts: 0,
    createdAt: now,
    eventTime: null,
    subscription: {
      id: 'sub',
      url,
      format: 'json',
      filters: { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false },
      digest: 'run',
      sendEmpty: false,
      description: null,
      createdAt: now,
      updatedAt: now,
      createdBy: null,
      failingSince: null,
      consecutiveFailures: 0,
      lastDeliveryAt: null,
      previousSecretExpiresAt: null,
      secret: generateSecret(),
      previousSecret: null,
      startSeq: 0,
    },
  };
}

/** The sender against a real server: what an untrusted receiver can and cannot make it do. */
describe('webhook sender', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((req, res) => {
      if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (req.url === '/huge') res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(5_000_000));
      else res.writeHead(200).end('ok');
    });
  });
  after(() => server.close());

  it('refuses a name that resolves to a loopback address unless private targets are allowed, before sending anything', async () => {
    const before = server.requests.length;
    const url = `http://localhost:${server.url.split(':').at(-1)}/hook`;
    const agent = createWebhookAgent({ allowPrivate: false, timeoutMs: 2_000, connections: 1 });
    const refused = await sendDelivery(delivery(url), { agent, timeoutMs: 2_000, allowPrivate: false, now: new Date() });
    assert.equal(refused.ok, false);
    assert.equal(refused.retryable, false, 'a refused address is not retried');
    assert.match(refused.error ?? '', /private|loopback/);
    assert.equal(server.requests.length, before, 'nothing reached the receiver');
    await agent.close();

    const open = createWebhookAgent({ allowPrivate: true, timeoutMs: 2_000, connections: 1 });
    const allowed = await sendDelivery(delivery(url), { agent: open, timeoutMs: 2_000, allowPrivate: true, now: new Date() });
    assert.equal(allowed.ok, true, allowed.error ?? '');
    await open.close();
  });

  it('refuses a literal private address when private targets are not allowed', async () => {
    const agent = createWebhookAgent({ allowPrivate: false, timeoutMs: 2_000, connections: 1 });
    const result = await sendDelivery(delivery(`${server.url}/hook`), { agent, timeoutMs: 2_000, allowPrivate: false, now: new Date() });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /127\.0\.0\.1/);
    await agent.close();
  });

  it('does not follow redirects and reads at most a few KiB of an answer', async () => {
    const agent = createWebhookAgent({ allowPrivate: true, timeoutMs: 5_000, connections: 1 });
    const redirected = await sendDelivery(delivery(`${server.url}/redirect`), { agent, timeoutMs: 5_000, allowPrivate: true, now: new Date() });
    assert.equal(redirected.ok, false);
    assert.equal(redirected.statusCode, 302);
    assert.ok(!server.requests.some((request) => request.path === '/elsewhere'), 'the redirect was not followed');
    const huge = await sendDelivery(delivery(`${server.url}/huge`), { agent, timeoutMs: 5_000, allowPrivate: true, now: new Date() });
    assert.equal(huge.statusCode, 500);
    assert.equal(huge.retryable, true);
    assert.ok((huge.error ?? '').length < 300, 'the error keeps a short excerpt of the answer');
    await agent.close();
  });
});
