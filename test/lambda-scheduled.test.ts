import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { SubscriptionInput } from '../src/domain/subscription.js';
import { createScheduledHandler, type ScheduledHandler } from '../src/lambda/scheduled-handler.js';
import { generateSecret } from '../src/notify/secrets.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import type { Database } from '../src/store/tables.js';
import { databases } from './support/databases.js';
import { basicFinding, digestOf, type EcrEndpoint, ecrClientEnv, startEcrEndpoint } from './support/ecr-endpoint/index.js';
import { lambdaContext } from './support/lambda-events.js';
import { schedulerEvent } from './support/schedule-events.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * The scheduled function as EventBridge Scheduler invokes it, in process, against a real
 * PostgreSQL and the ECR-compatible endpoint through the AWS SDK: each invocation is one
 * bounded cycle that scans what is due, delivers what the scans changed, and gives back
 * what it could not finish before its deadline.
 */

const postgres = (await databases()).find((dialect) => dialect.name === 'postgres');
const CENTOS_FINDINGS = [
  basicFinding({ name: 'CVE-2019-1000', severity: 'HIGH', packageName: 'glibc', packageVersion: '2.17-292.el7' }),
  basicFinding({ name: 'CVE-2019-2000', severity: 'MEDIUM', packageName: 'openssl', packageVersion: '1.0.2k-19.el7' }),
];
const ALL_FINDINGS = { limit: 100, after: null, severities: null, status: 'ALL' } as const;

function subscription(url: string): SubscriptionInput {
  return {
    url,
    format: 'json',
    filters: { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false },
    digest: 'run',
    sendEmpty: false,
    description: 'cycle test',
    secret: generateSecret(),
    createdBy: null,
  };
}

describe('the scheduled function, with EventBridge Scheduler events, on PostgreSQL', { skip: postgres ? false : 'PostgreSQL is not available' }, () => {
  let ecr: EcrEndpoint;
  let receiver: WebhookReceiver;
  let store: Store;
  let db: Kysely<Database>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    ecr = await startEcrEndpoint({ pollsUntilDone: 0 });
    receiver = await startWebhookReceiver();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-2',
      ...ecrClientEnv(ecr),
    });
    store = await postgres!.openStore();
    const databaseUrl = await postgres!.createDatabase();
    await store.close();
    env = { DATABASE_URL: databaseUrl, ECRSCAN_CONCURRENCY: '2', ECRSCAN_WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent' };
    // The test's own view of the function's database.
    ({ store, db } = await openDatabase(databaseUrl));
  });
  after(async () => {
    await store?.close();
    await receiver?.close();
    await ecr?.close();
  });

  async function register(repository: string): Promise<string> {
    const state = await store.createConfig({ region: 'us-west-2', registry: '123456789012', repository, tags: null, schedule: null, scanner: 'ecr', platform: null }, new Date());
    return state.id;
  }

  function invoke(handler: ScheduledHandler, remainingMs: number) {
    return handler(schedulerEvent(), lambdaContext('ecr-continuous-scan-ScheduledFunction', remainingMs));
  }

  it('scans the configurations due and delivers what their scans found', async () => {
    ecr.addRepository('cycle/centos', [{ digest: digestOf('cycle-centos:7'), tags: ['7'], findings: CENTOS_FINDINGS }]);
    ecr.addRepository('cycle/alpine', [{ digest: digestOf('cycle-alpine:3'), tags: ['3'], findings: [] }]);
    const centos = await register('cycle/centos');
    const alpine = await register('cycle/alpine');
    await store.createSubscription(subscription(`${receiver.url}/hook`), new Date());
    const report = await invoke(createScheduledHandler({ env }), 60_000);
    assert.equal(report.scans, 2);
    assert.equal(report.cutShort, false);
    assert.equal((await store.getConfig(centos))?.status, 'COMPLETE');
    assert.equal((await store.getConfig(alpine))?.status, 'COMPLETE');
    assert.deepEqual((await store.listFindings(centos, ALL_FINDINGS)).findings.map((finding) => finding.name).sort(), ['CVE-2019-1000', 'CVE-2019-2000']);
    // The commits' events went out within the same invocation.
    const delivered = receiver.accepted('/hook').map((message) => message.body).join('\n');
    assert.match(delivered, /CVE-2019-1000/);
    // Nothing is due any more: a second cycle scans nothing.
    assert.equal((await invoke(createScheduledHandler({ env }), 60_000)).scans, 0);
    assert.equal(ecr.image('cycle/centos', digestOf('cycle-centos:7'))?.scansStarted, 1);
  });

  it('leaves a scan cut short by the deadline unwritten, and the next invocation finishes it', async () => {
    ecr.addRepository('cycle/slow', [
      { digest: digestOf('cycle-slow:1'), tags: ['1'], findings: CENTOS_FINDINGS },
      { digest: digestOf('cycle-slow:2'), tags: ['2'], findings: CENTOS_FINDINGS },
    ]);
    const slow = await register('cycle/slow');
    ecr.setLatency(400);
    const handler = createScheduledHandler({ env });
    const started = Date.now();
    const cut = await invoke(handler, 1_500);
    // The property, not a speed: a cycle that outlived its invocation would be killed by Lambda mid-commit.
    // The margin is for the scans in flight to stop and the store to close on a loaded machine.
    assert.ok(Date.now() - started < 1_500 + 2_000, 'the invocation returned about when its time was up');
    assert.equal(cut.cutShort, true);
    assert.equal(cut.scans, 1);
    assert.ok(ecr.callCount('ListImages') + ecr.callCount('DescribeImages') > 0, 'the scan had begun');
    const state = await store.getConfig(slow);
    assert.equal(state?.status, 'QUEUED', 'given back, not left SCANNING');
    assert.equal(state?.lastScan, null);
    assert.deepEqual(state?.images, []);
    assert.deepEqual((await store.listFindings(slow, ALL_FINDINGS)).findings, []);
    ecr.setLatency(0);
    const next = await invoke(handler, 60_000);
    assert.equal(next.scans, 1);
    assert.equal(next.cutShort, false);
    assert.equal((await store.getConfig(slow))?.status, 'COMPLETE');
    assert.equal((await store.listFindings(slow, ALL_FINDINGS)).findings.length, 4);
  });

  it('never lets two invocations at once scan the same configuration', async () => {
    const repositories = Array.from({ length: 6 }, (_, i) => `cycle/parallel-${i}`);
    for (const repository of repositories) ecr.addRepository(repository, [{ digest: digestOf(`${repository}:1`), tags: ['1'], findings: CENTOS_FINDINGS }]);
    const ids = await Promise.all(repositories.map(register));
    ecr.setLatency(30);
    // Two function instances, each with its own cold start, invoked at the same moment.
    const [a, b] = await Promise.all([invoke(createScheduledHandler({ env }), 60_000), invoke(createScheduledHandler({ env }), 60_000)]);
    ecr.setLatency(0);
    assert.equal(a.scans + b.scans, repositories.length);
    for (const repository of repositories) assert.equal(ecr.image(repository, digestOf(`${repository}:1`))?.scansStarted, 1, repository);
    for (const id of ids) assert.equal((await store.getConfig(id))?.status, 'COMPLETE');
  });

  it('imports advisories when the stored import times say they are due, not at every cycle', async () => {
    const source = fileURLToPath(new URL('./fixtures/osv', import.meta.url));
    const withSources = { ...env, ECRSCAN_OSV_SOURCES: source };
    const attempted = () => db.selectFrom('osv_source_attempts').select('attempted_at').where('source', '=', source).executeTakeFirst();
    await invoke(createScheduledHandler({ env: withSources }), 60_000);
    assert.ok(await db.selectFrom('osv_sources').select('imported_at').where('source', '=', source).executeTakeFirst(), 'the first cycle imported the source');
    assert.ok(Number((await db.selectFrom('osv_advisories').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) > 0);
    const first = await attempted();
    assert.ok(first);
    await invoke(createScheduledHandler({ env: withSources }), 60_000);
    assert.equal(Number((await attempted())?.attempted_at), Number(first.attempted_at), 'the next cycle, minutes later, did not import again');
  });

  it('expires the suppressions due, and imports the prioritisation sources when due', async () => {
    const suppression = await store.createSuppression(
      { id: 'cycle-expiry', vulnerability: 'CVE-2019-1000', package: null, configId: null, repository: null, tag: null, status: 'accepted_risk', justification: null, reason: 'until the fix ships', expiresAt: new Date(Date.now() + 500) },
      null,
      new Date(),
    );
    assert.equal(suppression?.expiredAt, null);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const kev = fileURLToPath(new URL('./fixtures/prioritisation/known_exploited_vulnerabilities.json', import.meta.url));
    const withKev = { ...env, ECRSCAN_KEV_SOURCE: kev };
    const source = () => db.selectFrom('enrichment_sources').select(['imported_at', 'attempted_at', 'records']).where('source', '=', kev).executeTakeFirst();
    assert.equal(await source(), undefined);
    await invoke(createScheduledHandler({ env: withKev }), 60_000);
    assert.ok((await store.getSuppression('cycle-expiry'))?.expiredAt, 'the cycle expired the suppression');
    const first = await source();
    assert.ok(first?.imported_at, 'the cycle imported the KEV catalogue');
    assert.ok(Number(first.records) > 0);
    assert.ok(Number((await db.selectFrom('kev_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) > 0);
    await invoke(createScheduledHandler({ env: withKev }), 60_000);
    assert.equal(Number((await source())?.attempted_at), Number(first.attempted_at), 'the next cycle, within the refresh interval, did not fetch it again');
  });

  it('refuses an event that is not its schedule\'s, doing nothing', async () => {
    const before = ecr.callCount();
    await assert.rejects(createScheduledHandler({ env })({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('f', 60_000)), /takes only its schedule's event/);
    assert.equal(ecr.callCount(), before);
  });
});
