import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { systemClock } from '../src/clock.js';
import type { Finding } from '../src/domain/finding.js';
import type { Severity } from '../src/domain/severity.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createNotifier, type Notifier, type NotifierOptions } from '../src/notify/notifier.js';
import { createNotifyMetrics } from '../src/notify/notify-metrics.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import type { Database } from '../src/store/tables.js';
import { databases, type TestDialect } from './support/databases.js';
import { createFakeClock } from './support/fake-clock.js';
import { commitRun, findingEvent } from './support/notify-fixtures.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const PUBLIC_URL = 'http://ecrscan.test:8080';

interface Harness {
  store: Store;
  db: Kysely<Database>;
  app: FastifyInstance;
  notifier: Notifier;
  receiver: WebhookReceiver;
  metricsText(): Promise<string>;
  configId: string;
  subscribe(path: string, body?: Record<string, unknown>): Promise<{ id: string; secret: string }>;
}

async function harness(t: TestContext, dialect: TestDialect, options: Partial<NotifierOptions> = {}): Promise<Harness> {
  const { store, db } = await openDatabase(await dialect.createDatabase());
  const receiver = await startWebhookReceiver();
  const logger = createLogger('silent');
  const metrics = createMetrics();
  const notifyMetrics = createNotifyMetrics(metrics.registry, () => store.countFailingSubscriptions());
  const notifier = createNotifier({
    store,
    clock: systemClock,
    logger,
    metrics: notifyMetrics,
    publicUrl: PUBLIC_URL,
    allowPrivate: true,
    // Generous: an attempt timed out under a loaded machine is sent again (at least once),
    // which would blur what the tests count. The retry test sets its own.
    timeoutMs: 3_000,
    pollMs: 50,
    retry: { baseMs: 50, maxMs: 300 },
    failingAfter: 3,
    ...options,
  });
  const app = await buildApp({
    store,
    config: { schedule: '24h', apiToken: null },
    logger,
    metrics,
    clock: systemClock,
    notifications: { allowPrivate: true, publicUrl: PUBLIC_URL, wake: () => notifier.wake() },
  });
  notifier.start();
  t.after(async () => {
    await notifier.stop();
    await app.close();
    await receiver.close();
    await store.close();
  });
  const config = await store.createConfig(
    { region: 'us-west-2', registry: '123456789012', repository: 'team/api', tags: null, schedule: null, scanner: 'ecr', platform: null },
    new Date(),
  );
  return {
    store,
    db,
    app,
    notifier,
    receiver,
    configId: config.id,
    metricsText: () => metrics.registry.metrics(),
    async subscribe(path, body = {}) {
      const response = await app.inject({ method: 'POST', url: '/subscriptions', payload: { url: `${receiver.url}${path}`, ...body } });
      assert.equal(response.statusCode, 201, response.body);
      const created = response.json<{ id: string; secret: string }>();
      receiver.trust(path, created.secret);
      return created;
    },
  };
}

interface JsonDigest {
  type: string;
  id: string;
  summary: string;
  config: { id: string; repository: string } | null;
  runId: string | null;
  counts: { events: number; byType: Record<string, number>; bySeverity: Record<string, number> };
  findings: Array<{ id: string; type: string; severity: string; finding: { name: string; fixedVersion: string | null } }>;
  eventsUrl: string;
}

for (const dialect of await databases()) {
  describe(`webhook delivery (${dialect.name})`, () => {
    it('delivers one signed digest per scan run and subscription, in each format', async (t) => {
      const h = await harness(t, dialect);
      const json = await h.subscribe('/json');
      await h.subscribe('/slack', { format: 'slack' });
      await h.subscribe('/cloudevents', { format: 'cloudevents' });
      const runId = await commitRun(h.db, (run) => [
        findingEvent(h.configId, run, 'CVE-2026-0001', 'HIGH', { fixedVersion: '3.0.12-1' }),
        findingEvent(h.configId, run, 'CVE-2026-0002', 'CRITICAL', { cvss: { score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }),
        findingEvent(h.configId, run, 'CVE-2026-0003', 'LOW'),
        { type: 'image.added', configId: h.configId, runId: run, tag: 'latest', digest: 'sha256:' + 'a'.repeat(64), severity: null, detail: {} },
      ]);
      await h.receiver.waitFor(() => h.receiver.accepted().length >= 3, 10_000, 'three messages');
      // Give a second message, if one were wrongly planned, the time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(distinctIds(h.receiver), 3, 'one message per subscription for the whole run');
      for (const message of h.receiver.messages) {
        assert.notEqual(message.verified, null, `${message.path}: signature verified by standardwebhooks`);
        assert.match(String(message.headers['webhook-timestamp']), /^[0-9]{10}$/);
      }

      const [jsonMessage] = h.receiver.accepted('/json');
      assert.ok(jsonMessage);
      assert.equal(jsonMessage.headers['content-type'], 'application/json');
      const digest = JSON.parse(jsonMessage.body) as JsonDigest;
      assert.equal(digest.type, 'ecrscan.scan.digest');
      assert.equal(digest.id, jsonMessage.id, 'the webhook-id is the digest id');
      assert.equal(digest.config?.id, h.configId);
      assert.equal(digest.runId, runId);
      assert.deepEqual(digest.counts.byType, { 'finding.new': 3, 'image.added': 1 });
      assert.deepEqual(digest.counts.bySeverity, { CRITICAL: 1, HIGH: 1, LOW: 1 });
      assert.deepEqual(digest.findings.map((finding) => finding.finding.name), ['CVE-2026-0002', 'CVE-2026-0001', 'CVE-2026-0003'], 'most severe first');
      assert.ok(digest.eventsUrl.startsWith(`${PUBLIC_URL}/events?`), digest.eventsUrl);
      const linked = await h.app.inject({ method: 'GET', url: digest.eventsUrl.slice(PUBLIC_URL.length), headers: { accept: 'application/json' } });
      assert.equal(linked.statusCode, 200, linked.body);
      const linkedEvents = linked.json<{ events: Array<{ runId: string }> }>().events;
      assert.equal(linkedEvents.length, 4, 'the link lists the run');
      assert.ok(linkedEvents.every((event) => event.runId === runId), 'and nothing else');
      assert.match(digest.summary, /3 new findings \(1 CRITICAL, 1 HIGH, 1 LOW\)/);

      const [slackMessage] = h.receiver.accepted('/slack');
      assert.ok(slackMessage);
      const slack = JSON.parse(slackMessage.body) as { text: string; blocks: Array<Record<string, unknown>> };
      assertSlackMessage(slack);
      assert.match(slack.text, /3 new findings/);
      assert.ok(JSON.stringify(slack.blocks).includes('CVE-2026-0002'), 'the blocks list the top findings');

      const [cloudMessage] = h.receiver.accepted('/cloudevents');
      assert.ok(cloudMessage);
      assert.equal(cloudMessage.headers['content-type'], 'application/cloudevents+json');
      const cloudEvent = JSON.parse(cloudMessage.body) as Record<string, unknown>;
      assert.equal(cloudEvent['specversion'], '1.0');
      assert.equal(cloudEvent['id'], cloudMessage.id);
      assert.equal(cloudEvent['source'], `${PUBLIC_URL}/configs/${h.configId}`);
      assert.equal(cloudEvent['type'], 'ecrscan.scan.digest');
      assert.equal(cloudEvent['datacontenttype'], 'application/json');
      assert.equal((cloudEvent['data'] as JsonDigest).counts.events, 4);

      const deliveries = await h.app.inject({ method: 'GET', url: `/subscriptions/${json.id}/deliveries` });
      assert.equal(deliveries.statusCode, 200);
      const listed = deliveries.json<{ deliveries: Array<{ messageId: string; status: string; lastStatusCode: number; history: unknown[] }> }>().deliveries;
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.messageId, jsonMessage.id);
      assert.equal(listed[0]?.status, 'delivered');
      assert.equal(listed[0]?.lastStatusCode, 204);
      assert.equal(listed[0]?.history.length, 1);
      assert.ok(!deliveries.body.includes(json.secret), 'the delivery list never shows the secret');
    });

    it('turns real scan commits into one digest each; an unchanged rescan sends nothing', async (t) => {
      const h = await harness(t, dialect);
      await h.subscribe('/scans');
      const openssl = (name: string, severity: Severity): Finding => ({
        name,
        severity,
        package: 'openssl',
        version: '3.0.11-1',
        fixedVersion: '3.0.15-1',
        uri: `https://security-tracker.debian.org/tracker/${name}`,
        description: null,
        cvss: null,
        aliases: [],
        path: null,
      });
      const scan = async (findings: Finding[]): Promise<string> => {
        const now = new Date();
        const [claim] = await h.store.claimDueScans('scanner-test', now, 60_000, 1);
        assert.ok(claim, 'the configuration is due');
        const committed = await h.store.commitScan({
          configId: claim.config.id,
          runId: claim.runId,
          owner: 'scanner-test',
          finishedAt: now,
          images: [{ tag: 'latest', digest: `sha256:${'b'.repeat(64)}`, status: 'COMPLETE', error: null, scanner: 'test@1', findings }],
          status: 'COMPLETE',
          error: null,
          nextScanAt: now,
        });
        assert.equal(committed, true);
        return claim.runId;
      };
      const first = await scan([openssl('CVE-2026-1001', 'CRITICAL'), openssl('CVE-2026-1002', 'MEDIUM')]);
      await h.receiver.waitFor(() => h.receiver.accepted('/scans').length === 1, 10_000, 'the first scan\'s digest');
      await scan([openssl('CVE-2026-1001', 'CRITICAL'), openssl('CVE-2026-1002', 'MEDIUM')]);
      const fixed = await scan([openssl('CVE-2026-1001', 'CRITICAL')]);
      await h.receiver.waitFor(() => h.receiver.accepted('/scans').length === 2, 10_000, 'the third scan\'s digest');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const digests = h.receiver.accepted('/scans').map((message) => JSON.parse(message.body) as JsonDigest);
      assert.equal(distinctIds(h.receiver), 2, 'the unchanged rescan sent nothing');
      assert.equal(digests[0]?.runId, first);
      assert.equal(digests[0]?.counts.byType['finding.new'], 2);
      assert.deepEqual(digests[0]?.counts.bySeverity, { CRITICAL: 1, MEDIUM: 1 });
      assert.equal(digests[1]?.runId, fixed);
      assert.deepEqual(digests[1]?.counts.byType, { 'finding.fixed': 1 });
      assert.equal(digests[1]?.findings[0]?.finding.name, 'CVE-2026-1002');
    });

    it('sends a scan of 10,000 new findings to each subscription as one digest', async (t) => {
      const h = await harness(t, dialect);
      await h.subscribe('/big-json');
      await h.subscribe('/big-slack', { format: 'slack' });
      const now = new Date();
      const [claim] = await h.store.claimDueScans('scanner-test', now, 60_000, 1);
      assert.ok(claim);
      const severities: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
      const findings: Finding[] = Array.from({ length: 10_000 }, (_, i) => ({
        name: `CVE-2026-${String(10_000 + i)}`,
        severity: severities[i % 4] as Severity,
        package: `pkg-${i}`,
        version: '1.0',
        fixedVersion: i % 2 === 0 ? '1.1' : null,
        uri: null,
        description: null,
        cvss: null,
        aliases: [],
        path: null,
      }));
      const committed = await h.store.commitScan({
        configId: claim.config.id,
        runId: claim.runId,
        owner: 'scanner-test',
        finishedAt: now,
        images: [{ tag: 'latest', digest: `sha256:${'c'.repeat(64)}`, status: 'COMPLETE', error: null, scanner: 'test@1', findings }],
        status: 'COMPLETE',
        error: null,
        nextScanAt: now,
      });
      assert.equal(committed, true);
      await h.receiver.waitFor(() => h.receiver.accepted().length === 2, 30_000, 'the two digests');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(distinctIds(h.receiver), 2, 'one message per subscription');
      const digest = JSON.parse(h.receiver.accepted('/big-json')[0]!.body) as JsonDigest & { truncated: boolean };
      assert.equal(digest.counts.byType['finding.new'], 10_000);
      assert.deepEqual(digest.counts.bySeverity, { CRITICAL: 2_500, HIGH: 2_500, MEDIUM: 2_500, LOW: 2_500 });
      assert.equal(digest.findings.length, 10);
      assert.ok(digest.findings.every((finding) => finding.severity === 'CRITICAL'), 'the top findings are the most severe');
      assert.equal(digest.truncated, true);
      assertSlackMessage(JSON.parse(h.receiver.accepted('/big-slack')[0]!.body) as { text: string; blocks: Array<Record<string, unknown>> });
    });

    it('applies filters: repository globs, types, minimum severity, fixable only; a single event keeps its own id', async (t) => {
      const h = await harness(t, dialect);
      await h.subscribe('/other-repo', { filters: { repositories: ['other/*'] } });
      await h.subscribe('/high-fixable', { filters: { repositories: ['team/*'], minSeverity: 'HIGH', fixableOnly: true, types: ['finding.new'] } });
      await commitRun(h.db, (run) => [
        findingEvent(h.configId, run, 'CVE-2026-0010', 'CRITICAL', { fixedVersion: '1.1' }),
        findingEvent(h.configId, run, 'CVE-2026-0011', 'CRITICAL'),
        findingEvent(h.configId, run, 'CVE-2026-0012', 'MEDIUM', { fixedVersion: '1.1' }),
        findingEvent(h.configId, run, 'CVE-2026-0013', 'HIGH', { fixedVersion: '1.1', type: 'finding.fixed' }),
      ]);
      await h.receiver.waitFor(() => h.receiver.accepted('/high-fixable').length === 1, 10_000, 'the filtered message');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(h.receiver.messages.filter((message) => message.path === '/other-repo').length, 0, 'another repository hears nothing');
      const [message] = h.receiver.accepted('/high-fixable');
      const digest = JSON.parse(message!.body) as JsonDigest;
      assert.deepEqual(digest.findings.map((finding) => finding.finding.name), ['CVE-2026-0010']);
      assert.equal(digest.findings[0]?.id, message!.id, 'a digest of one event carries that event id as its webhook-id');
    });

    it('keeps every message through a receiver outage and delivers them in order, once per id; marks and clears failing', async (t) => {
      const h = await harness(t, dialect);
      const subscription = await h.subscribe('/hook');
      await h.receiver.down();
      const runs: string[] = [];
      for (let i = 0; i < 5; i++) runs.push(await commitRun(h.db, (run) => [findingEvent(h.configId, run, `CVE-2026-01${i}0`, 'HIGH')]));
      const failing = async () => (await h.app.inject({ method: 'GET', url: `/subscriptions/${subscription.id}` })).json<{ status: string; consecutiveFailures: number }>();
      const deadline = Date.now() + 10_000;
      while ((await failing()).status !== 'failing') {
        if (Date.now() > deadline) throw new Error('the subscription was never marked failing');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(await h.metricsText(), /ecrscan_webhook_subscriptions_failing 1/);
      const queued = (await h.app.inject({ method: 'GET', url: `/subscriptions/${subscription.id}/deliveries` })).json<{ deliveries: Array<{ status: string; lastError: string }> }>();
      assert.equal(queued.deliveries.length, 5, 'a failing subscription keeps its queue');
      assert.ok(queued.deliveries.every((delivery) => delivery.status === 'pending'));
      assert.ok(queued.deliveries.some((delivery) => /ECONNREFUSED/.test(delivery.lastError ?? '')), 'the error says what went wrong');

      await h.receiver.up();
      await h.receiver.waitFor(() => h.receiver.accepted('/hook').length === 5, 15_000, 'every message after the outage');
      const received = h.receiver.accepted('/hook').map((message) => (JSON.parse(message.body) as JsonDigest).runId);
      assert.deepEqual(received, runs, 'in commit order');
      assert.ok(h.receiver.messages.every((message) => message.verified !== null));
      assert.equal((await failing()).status, 'active', 'a success clears failing');
      assert.match(await h.metricsText(), /ecrscan_webhook_subscriptions_failing 0/);
    });

    it('retries 5xx and timeouts with backoff, honours Retry-After on 429, and gives up on other 4xx', async (t) => {
      const h = await harness(t, dialect, { timeoutMs: 500 });
      await h.subscribe('/flaky');
      await h.subscribe('/throttled');
      const gone = await h.subscribe('/gone');
      h.receiver.mode({ kind: 'fail', status: 503 }, '/flaky');
      h.receiver.mode({ kind: 'throttle', retryAfterSeconds: 1 }, '/throttled');
      h.receiver.mode({ kind: 'fail', status: 410 }, '/gone');
      await commitRun(h.db, (run) => [findingEvent(h.configId, run, 'CVE-2026-0200', 'HIGH')]);
      await h.receiver.waitFor(() => h.receiver.messages.filter((m) => m.path === '/flaky').length >= 2, 10_000, 'a retry after 503');
      h.receiver.mode({ kind: 'hang' }, '/flaky');
      await h.receiver.waitFor(() => h.receiver.messages.filter((m) => m.path === '/flaky' && m.answeredWith === 0).length >= 2, 10_000, 'a retry after a timeout');
      h.receiver.mode({ kind: 'ok' }, '/flaky');
      await h.receiver.waitFor(() => h.receiver.accepted('/flaky').length === 1, 10_000, 'delivery once the receiver answers');

      await h.receiver.waitFor(() => h.receiver.messages.filter((m) => m.path === '/throttled').length >= 1, 10_000, 'the throttled attempt');
      h.receiver.mode({ kind: 'ok' }, '/throttled');
      await h.receiver.waitFor(() => h.receiver.accepted('/throttled').length === 1, 10_000, 'delivery after Retry-After');
      const throttled = h.receiver.messages.filter((m) => m.path === '/throttled');
      const gap = (throttled.at(-1)?.at ?? 0) - (throttled[0]?.at ?? 0);
      assert.ok(gap >= 900, `waited for Retry-After (${gap} ms)`);

      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(h.receiver.messages.filter((m) => m.path === '/gone' && m.answeredWith === 410).length, 1, '410 is not retried');
      const [given] = (await h.app.inject({ method: 'GET', url: `/subscriptions/${gone.id}/deliveries` })).json<{ deliveries: Array<{ status: string; lastStatusCode: number }> }>().deliveries;
      assert.deepEqual([given?.status, given?.lastStatusCode], ['failed', 410], 'given up at once');
    });

    it('signs with both secrets while a rotation overlaps', async (t) => {
      const h = await harness(t, dialect);
      const created = await h.subscribe('/rotating');
      const rotated = await h.app.inject({ method: 'PATCH', url: `/subscriptions/${created.id}`, payload: { rotateSecret: true } });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const { secret: newSecret, previousSecretExpiresAt } = rotated.json<{ secret: string; previousSecretExpiresAt: string }>();
      assert.match(newSecret, /^whsec_/);
      assert.notEqual(newSecret, created.secret);
      assert.ok(Date.parse(previousSecretExpiresAt) > Date.now() + 23 * 3_600_000);
      h.receiver.trust('/rotating', newSecret);
      await commitRun(h.db, (run) => [findingEvent(h.configId, run, 'CVE-2026-0300', 'HIGH')]);
      await h.receiver.waitFor(() => h.receiver.accepted('/rotating').length === 1, 10_000, 'the message');
      const [message] = h.receiver.accepted('/rotating');
      assert.deepEqual(message?.verifiedBy.sort(), [created.secret, newSecret].sort(), 'either secret verifies it alone');
      assert.equal(String(message?.headers['webhook-signature']).split(' ').length, 2);
    });

    it('sends periodic digests instead of one per run, saying "nothing new" when asked to', async (t) => {
      const clock = createFakeClock(new Date());
      const h = await harness(t, dialect, { clock });
      await h.subscribe('/hourly', { digest: 'hourly', sendEmpty: true });
      await h.subscribe('/daily', { digest: 'daily' });
      // The subscriptions were created by the API's clock: due an hour after that.
      clock.set(new Date(Date.now() + 3_600_000 + 1_000));
      h.notifier.wake();
      await h.receiver.waitFor(() => h.receiver.accepted('/hourly').length === 1, 10_000, 'the empty hourly digest');
      const empty = JSON.parse(h.receiver.accepted('/hourly')[0]!.body) as JsonDigest;
      assert.equal(empty.type, 'ecrscan.periodic.digest');
      assert.equal(empty.counts.events, 0);
      assert.match(empty.summary, /^Nothing new/);

      await commitRun(h.db, (run) => [findingEvent(h.configId, run, 'CVE-2026-0400', 'HIGH'), findingEvent(h.configId, run, 'CVE-2026-0401', 'LOW')]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(h.receiver.accepted('/hourly').length, 1, 'a periodic subscription gets no message per run');
      clock.advance(3_600_000);
      h.notifier.wake();
      await h.receiver.waitFor(() => h.receiver.accepted('/hourly').length === 2, 10_000, 'the second hourly digest');
      const second = JSON.parse(h.receiver.accepted('/hourly')[1]!.body) as JsonDigest;
      assert.equal(second.counts.events, 2);
      assert.deepEqual(second.counts.bySeverity, { HIGH: 1, LOW: 1 });
      assert.equal(h.receiver.messages.filter((message) => message.path === '/daily').length, 0, 'the daily digest is not due yet');
    });

    it('sends a test message on request', async (t) => {
      const h = await harness(t, dialect);
      const created = await h.subscribe('/test', { format: 'slack' });
      const response = await h.app.inject({ method: 'POST', url: `/subscriptions/${created.id}/test` });
      assert.equal(response.statusCode, 202, response.body);
      const { messageId } = response.json<{ messageId: string }>();
      await h.receiver.waitFor(() => h.receiver.accepted('/test').length === 1, 10_000, 'the test message');
      const [message] = h.receiver.accepted('/test');
      assert.equal(message?.id, messageId);
      assertSlackMessage(JSON.parse(message!.body) as { text: string; blocks: Array<Record<string, unknown>> });
    });
  });
}

/** Messages the receiver saw, a retry of one counted once (its webhook-id is the same). */
function distinctIds(receiver: WebhookReceiver): number {
  return new Set(receiver.messages.map((message) => `${message.path} ${message.id}`)).size;
}

/** The fields Slack's incoming webhooks accept, and Block Kit's limits for the blocks used. */
function assertSlackMessage(message: { text: string; blocks: Array<Record<string, unknown>> }): void {
  const allowed = new Set(['text', 'blocks', 'attachments', 'thread_ts', 'mrkdwn', 'unfurl_links', 'unfurl_media']);
  for (const key of Object.keys(message)) assert.ok(allowed.has(key), `${key} is a field Slack accepts`);
  assert.equal(typeof message.text, 'string');
  assert.ok(message.text.length > 0 && message.text.length <= 40_000, 'text is the notification fallback');
  assert.ok(Array.isArray(message.blocks) && message.blocks.length > 0 && message.blocks.length <= 50);
  for (const block of message.blocks) {
    const text = block['text'] as { type: string; text: string } | undefined;
    switch (block['type']) {
      case 'header':
        assert.equal(text?.type, 'plain_text');
        assert.ok((text?.text.length ?? 0) <= 150);
        break;
      case 'section':
        assert.ok(text?.type === 'mrkdwn' || text?.type === 'plain_text');
        assert.ok((text?.text.length ?? 0) > 0 && (text?.text.length ?? 0) <= 3000);
        break;
      case 'context': {
        const elements = block['elements'] as Array<{ type: string; text: string }>;
        assert.ok(elements.length > 0 && elements.length <= 10);
        for (const element of elements) assert.ok(element.type === 'mrkdwn' || element.type === 'plain_text');
        break;
      }
      default:
        assert.fail(`unexpected block type ${String(block['type'])}`);
    }
  }
}
