import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type OpenDatabase } from '../src/store/open-store.js';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { databases } from './support/databases.js';
import { commitRun, findingEvent } from './support/notify-fixtures.js';
import { type ReceivedMessage, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const SUBSCRIPTIONS = 20;
const postgres = (await databases()).find((dialect) => dialect.name === 'postgres');

/** Two messages with the same id open at the receiver at the same time: sent twice at once. */
function overlaps(messages: ReceivedMessage[]): string[] {
  const byId = new Map<string, ReceivedMessage[]>();
  for (const message of messages) byId.set(message.id, [...(byId.get(message.id) ?? []), message]);
  const found: string[] = [];
  for (const [id, copies] of byId) {
    const sorted = copies.sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1] as ReceivedMessage;
      if ((previous.done ?? Number.POSITIVE_INFINITY) > (sorted[i] as ReceivedMessage).at) found.push(id);
    }
  }
  return found;
}

/**
 * Real service processes on one PostgreSQL database delivering to a real receiver: they
 * share the queue without ever sending one message twice at once, and a process killed
 * with -9 mid-delivery loses nothing; only what it had in flight is sent again.
 */
describe('webhook delivery by several service processes', { skip: postgres ? false : 'PostgreSQL not available' }, () => {
  let receiver: WebhookReceiver;
  let database: OpenDatabase;
  let env: NodeJS.ProcessEnv;
  let configId: string;
  const servers: ServerProcess[] = [];
  const paths: string[] = [];
  const runs: string[] = [];

  before(async () => {
    receiver = await startWebhookReceiver();
    receiver.mode({ kind: 'delay', ms: 50 });
    const url = await postgres!.createDatabase();
    env = { DATABASE_URL: url, ECRSCAN_WEBHOOK_ALLOW_PRIVATE: 'true', ECRSCAN_WEBHOOK_TIMEOUT_MS: '5000', ECRSCAN_LEASE_SECONDS: '10' };
    servers.push(...(await Promise.all([startServer([], env), startServer([], env)])));
    database = await openDatabase(url);
    // A configuration nothing can scan: only the events the test commits reach subscriptions.
    configId = (
      await database.store.createConfig(
        { region: null, registry: '127.0.0.1:9', repository: 'team/api', tags: ['1'], schedule: '1d', scanner: 'builtin', platform: null },
        new Date(),
      )
    ).id;
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const path = `/hook/${i}`;
      const response = await fetch(`${servers[i % 2]!.url}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiver.url}${path}`, filters: { types: ['finding.new'] } }),
      });
      assert.equal(response.status, 201);
      receiver.trust(path, ((await response.json()) as { secret: string }).secret);
      paths.push(path);
    }
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await database?.store.close();
    await receiver?.close();
  });

  async function commitRuns(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const n = runs.length;
      runs.push(await commitRun(database.db, (run) => [findingEvent(configId, run, `CVE-2026-${1000 + n}`, 'HIGH'), findingEvent(configId, run, `CVE-2026-${5000 + n}`, 'LOW')]));
    }
  }

  function runOrder(path: string): string[] {
    return receiver.accepted(path).map((message) => (JSON.parse(message.body) as { runId: string }).runId);
  }

  it('shares the queue between two processes without sending a message twice at once, in order per subscription', async () => {
    await commitRuns(10);
    await receiver.waitFor(() => receiver.accepted().length === SUBSCRIPTIONS * runs.length, 60_000, 'every message');
    assert.deepEqual(overlaps(receiver.messages), [], 'no message was in flight twice at once');
    assert.equal(receiver.messages.length, SUBSCRIPTIONS * runs.length, 'each sent once');
    assert.ok(receiver.messages.every((message) => message.verified !== null), 'every signature verifies');
    for (const path of paths) assert.deepEqual(runOrder(path), runs, `${path} in commit order`);
  });

  it('loses nothing when a process is killed with -9 mid-delivery, and repeats at most what was in flight', async () => {
    receiver.mode({ kind: 'delay', ms: 1_500 });
    const before = receiver.messages.length;
    await commitRuns(5);
    await receiver.waitFor(() => receiver.messages.slice(before).filter((message) => message.done === null).length >= 10, 30_000, 'deliveries in flight');
    const killedAt = Date.now();
    await servers[0]!.stop('SIGKILL');
    // Open at the receiver when the process died: its requests in flight (the other process's too).
    const inFlight = new Set(receiver.messages.filter((message) => message.at <= Date.now() && (message.done === null || message.done >= killedAt)).map((message) => message.id));
    servers[0] = await startServer([], env);
    receiver.mode({ kind: 'delay', ms: 20 });
    await receiver.waitFor(() => receiver.accepted().length === SUBSCRIPTIONS * runs.length, 90_000, 'every message after the restart');

    const copies = new Map<string, number>();
    for (const message of receiver.messages) copies.set(message.id, (copies.get(message.id) ?? 0) + 1);
    const repeated = [...copies].filter(([, count]) => count > 1).map(([id]) => id);
    assert.ok(repeated.every((id) => inFlight.has(id)), `only messages in flight at the kill were sent again (${repeated.length} were)`);
    assert.deepEqual(overlaps(receiver.messages), [], 'no message was in flight twice at once');
    for (const path of paths) assert.deepEqual(runOrder(path), runs, `${path} still in commit order`);
  });
});
