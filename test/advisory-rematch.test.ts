import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { ScanEvent } from '../src/domain/event.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { PACKAGE_ANALYSERS } from '../src/scanners/builtin/analysers/registry.js';
import { BUILTIN_SCANNER_ID, BUILTIN_SCANNER_VERSION, createBuiltinScanner } from '../src/scanners/builtin/builtin-scanner.js';
import { createAdvisoryLookup } from '../src/scanners/builtin/osv/advisory-store.js';
import { importOsvSource } from '../src/scanners/builtin/osv/osv-importer.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { createScanners } from '../src/scanners/create-scanners.js';
import { claimChanges, pendingChanges } from '../src/scanners/builtin/rematch/change-queue.js';
import { createRematcher, type Rematcher } from '../src/scanners/builtin/rematch/rematcher.js';
import { createStoredMatch } from '../src/scanners/builtin/rematch/stored-match.js';
import { createScheduler } from '../src/scheduler/scheduler.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import type { Database } from '../src/store/tables.js';
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.js';
import { databases } from './support/databases.js';
import { buildImage, buildLayer, pushImage } from './support/image-builder.js';
import { ALPINE_319_OS_RELEASE, ALPINE_INSTALLED, DEBIAN_12_OS_RELEASE, DEBIAN_STATUS_INSTALLED } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

/**
 * The re-match after advisory changes, end to end in one process: images built from real
 * package databases in the reference registry (behind a proxy that logs every request),
 * scanned once by the built-in scanner, then advisory files imported and re-matched from
 * the stored inventories alone.
 */

const installed = findRegistryBinary() !== null;
if (!installed) warnRegistryMissing('test/advisory-rematch.test.ts');
const dialects = installed ? await databases() : [];

const CVE = 'CVE-2026-90001';
const RECORD_ID = 'DEBIAN-CVE-2026-90001';
const CRITICAL_VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const MEDIUM_VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N';

/** A Debian 12 record for the zlib source package; each call a later `modified`. */
function zlibRecord(version: number, fields: { fixed: string; vector: string; withdrawn?: boolean }): string {
  const modified = `2026-12-0${version}T00:00:00Z`;
  return JSON.stringify({
    schema_version: '1.6.0',
    id: RECORD_ID,
    modified,
    published: '2026-12-01T00:00:00Z',
    ...(fields.withdrawn ? { withdrawn: modified } : {}),
    upstream: [CVE],
    details: 'A test vulnerability in zlib.',
    severity: [{ type: 'CVSS_V3', score: fields.vector }],
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'zlib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fields.fixed }] }],
      },
    ],
  });
}

/** Debian 12 packages without the stanzas named. */
function debianWithout(removed: readonly string[]): string {
  return DEBIAN_STATUS_INSTALLED.split('\n\n')
    .filter((stanza) => !removed.includes(/^Package: (\S+)/m.exec(stanza)?.[1] ?? ''))
    .join('\n\n');
}

interface Fixture {
  store: Store;
  db: Kysely<Database>;
  configs: Record<'withZlib' | 'withoutZlib' | 'alpine', string>;
  /** Imports the record text as the advisory source. */
  importRecord(text: string): Promise<void>;
  rematcher(owner?: string): Rematcher;
  close(): Promise<void>;
}

async function eventsOf(store: Store, configId: string): Promise<ScanEvent[]> {
  const page = await store.listEvents({ configIds: [configId], types: null, severities: null, afterSeq: null, limit: 1000, order: 'asc' });
  return page.events;
}

async function openFixture(url: string, proxy: CountingProxy, dir: string): Promise<Fixture> {
  const { store, db } = await openDatabase(url);
  const source = join(dir, `${RECORD_ID}.json`);
  const rematchers: Rematcher[] = [];
  return {
    store,
    db,
    configs: { withZlib: '', withoutZlib: '', alpine: '' },
    async importRecord(text) {
      await writeFile(source, text);
      await importOsvSource(db, source, { dataDir: dir });
    },
    rematcher(owner) {
      const rematcher = createRematcher({
        store,
        db,
        match: createStoredMatch(db, { analysers: PACKAGE_ANALYSERS, advisories: createAdvisoryLookup(db), clock: systemClock }),
        scanner: BUILTIN_SCANNER_ID,
        scannerLabel: `${BUILTIN_SCANNER_ID}@${BUILTIN_SCANNER_VERSION}`,
        clock: systemClock,
        concurrency: 2,
        leaseMs: 60_000,
        retryMs: 20,
        ...(owner ? { owner } : {}),
      });
      rematchers.push(rematcher);
      return rematcher;
    },
    async close() {
      for (const rematcher of rematchers) await rematcher.stop();
      await store.close();
    },
  };
}

/** Registers the three configurations and scans them once, against one unrelated advisory. */
async function scanOnce(fixture: Fixture, proxy: CountingProxy, dir: string): Promise<void> {
  const unrelated = join(dir, 'DEBIAN-CVE-2025-4802.json');
  await writeFile(
    unrelated,
    JSON.stringify({
      schema_version: '1.6.0',
      id: 'DEBIAN-CVE-2025-4802',
      modified: '2025-05-16T00:00:00Z',
      upstream: ['CVE-2025-4802'],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u99' }] }] }],
    }),
  );
  await importOsvSource(fixture.db, unrelated, { dataDir: dir });
  const now = new Date();
  const create = async (repository: string): Promise<string> =>
    (await fixture.store.createConfig({ region: null, registry: proxy.host, repository, tags: null, schedule: null, scanner: 'builtin', platform: null }, now)).id;
  fixture.configs.withZlib = await create('rematch/with-zlib');
  fixture.configs.withoutZlib = await create('rematch/without-zlib');
  fixture.configs.alpine = await create('rematch/alpine');
  const client = createRegistryClient({ insecureHosts: [proxy.host], retry: { baseDelayMs: 10 } });
  const scheduler = createScheduler({
    store: fixture.store,
    scanners: { builtin: createBuiltinScanner({ db: fixture.db, client }), ecr: createBuiltinScanner({ db: fixture.db, client }) },
    clock: systemClock,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    concurrency: 2,
    leaseMs: 60_000,
    defaultSchedule: '24h',
  });
  assert.equal(await scheduler.runDue(), 3);
  for (const config of await fixture.store.listConfigs()) assert.equal(config.status, 'COMPLETE', `${config.repository}: ${config.lastError}`);
  // The import before the scans named glibc, with no inventory stored yet: nothing to re-match.
  await fixture.rematcher('setup').runPending();
  assert.equal(await pendingChanges(fixture.db), 0);
}

describe('re-match after advisory changes', { skip: !installed && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let proxy: CountingProxy;
  let dir: string;

  before(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry);
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-rematch-'));
    const debian = [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }];
    const target = { url: registry.url };
    await pushImage(target, 'rematch/with-zlib', '1', buildImage([await buildLayer([...debian, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS_INSTALLED }])]));
    await pushImage(target, 'rematch/without-zlib', '1', buildImage([await buildLayer([...debian, { path: 'var/lib/dpkg/status', content: debianWithout(['zlib1g']) }])]));
    await pushImage(
      target,
      'rematch/alpine',
      '1',
      buildImage([await buildLayer([{ path: 'etc/os-release', content: ALPINE_319_OS_RELEASE }, { path: 'lib/apk/db/installed', content: ALPINE_INSTALLED }])]),
    );
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const dialect of dialects) {
    describe(dialect.name, () => {
      it('adds, changes and withdraws a finding in the images holding the package only, without a registry request', async (t) => {
        const fixture = await openFixture(await dialect.createDatabase(), proxy, dir);
        t.after(() => fixture.close());
        await scanOnce(fixture, proxy, dir);
        const { withZlib, withoutZlib, alpine } = fixture.configs;
        const requestsBefore = proxy.requests.length;
        const untouched = await Promise.all([withoutZlib, alpine].map(async (id) => ({ id, config: await fixture.store.getConfig(id), events: (await eventsOf(fixture.store, id)).length })));
        const revisionBefore = await fixture.store.revision();

        await fixture.importRecord(zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR }));
        const report = await fixture.rematcher().runPending();
        assert.deepEqual(report, { changes: 1, configurations: 1, images: 1, busy: 0 });
        const added = (await eventsOf(fixture.store, withZlib)).filter((event) => event.detail.finding?.name === CVE);
        assert.deepEqual(
          added.map((event) => [event.type, event.severity, event.detail.finding?.package, event.detail.finding?.fixedVersion]),
          [['finding.new', 'CRITICAL', 'zlib1g', '1:1.3.dfsg-1']],
        );
        assert.ok((await fixture.store.revision()) > revisionBefore);

        await fixture.importRecord(zlibRecord(2, { fixed: '1:1.3.dfsg-2', vector: MEDIUM_VECTOR }));
        await fixture.rematcher().runPending();
        const changed = (await eventsOf(fixture.store, withZlib)).filter((event) => event.detail.finding?.name === CVE).slice(1);
        assert.equal(changed.length, 1);
        assert.equal(changed[0]?.type, 'finding.changed');
        assert.equal(changed[0]?.severity, 'MEDIUM');
        assert.deepEqual(changed[0]?.detail.previous, { severity: 'CRITICAL', fixedVersion: '1:1.3.dfsg-1', cvss: changed[0]?.detail.previous?.cvss });
        assert.equal(changed[0]?.detail.finding?.fixedVersion, '1:1.3.dfsg-2');

        await fixture.importRecord(zlibRecord(3, { fixed: '1:1.3.dfsg-2', vector: MEDIUM_VECTOR, withdrawn: true }));
        await fixture.rematcher().runPending();
        const closed = (await eventsOf(fixture.store, withZlib)).filter((event) => event.detail.finding?.name === CVE).slice(2);
        assert.deepEqual(
          closed.map((event) => [event.type, event.detail.reason]),
          [['finding.fixed', 'withdrawn']],
        );
        const row = await fixture.db.selectFrom('findings').select(['close_reason', 'fixed_at']).where('config_id', '=', withZlib).where('name', '=', CVE).executeTakeFirstOrThrow();
        assert.equal(row.close_reason, 'withdrawn');
        assert.notEqual(row.fixed_at, null);
        // The unrelated finding of the same image was re-matched, not closed.
        const glibc = await fixture.db.selectFrom('findings').select(['fixed_at', 'first_seen']).where('config_id', '=', withZlib).where('name', '=', 'CVE-2025-4802').executeTakeFirstOrThrow();
        assert.equal(glibc.fixed_at, null);

        assert.deepEqual(proxy.requests.slice(requestsBefore), [], 'a re-match reads stored inventories only');
        for (const { id, config, events } of untouched) {
          assert.equal((await eventsOf(fixture.store, id)).length, events, 'no event for an image without the package');
          assert.deepEqual(await fixture.store.getConfig(id), config, 'no write to a configuration without the package');
        }
        assert.equal(await pendingChanges(fixture.db), 0);
      });

      it('finishes a re-match broken off by a stopped process, once', async (t) => {
        const fixture = await openFixture(await dialect.createDatabase(), proxy, dir);
        t.after(() => fixture.close());
        await scanOnce(fixture, proxy, dir);
        const { withZlib } = fixture.configs;
        await fixture.importRecord(zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR }));
        // A process claimed the change and stopped before re-matching: its lease runs out.
        const stalled = await claimChanges(fixture.db, 'stopped-process', Date.now(), 1, 10);
        assert.equal(stalled.ids.length, 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal((await fixture.rematcher('restarted').runPending()).configurations, 1);
        // And a process that committed the configuration but stopped before marking the change done.
        const events = (await eventsOf(fixture.store, withZlib)).length;
        const revision = await fixture.store.revision();
        await fixture.db.updateTable('advisory_changes').set({ done_at: null, lease_owner: null, lease_expires_at: null }).where('id', 'in', stalled.ids).execute();
        const again = await fixture.rematcher('restarted-again').runPending();
        assert.deepEqual(again, { changes: 1, configurations: 1, images: 1, busy: 0 });
        assert.equal((await eventsOf(fixture.store, withZlib)).length, events, 'matching the same data again logs nothing');
        assert.equal(await fixture.store.revision(), revision, 'and writes nothing');
        const rows = await fixture.db.selectFrom('findings').select('id').where('config_id', '=', withZlib).where('name', '=', CVE).execute();
        assert.equal(rows.length, 1);
        const news = (await eventsOf(fixture.store, withZlib)).filter((event) => event.type === 'finding.new' && event.detail.finding?.name === CVE);
        assert.equal(news.length, 1);
      });

      it('waits for a scan holding the configuration rather than racing it', async (t) => {
        const fixture = await openFixture(await dialect.createDatabase(), proxy, dir);
        t.after(() => fixture.close());
        await scanOnce(fixture, proxy, dir);
        const { withZlib } = fixture.configs;
        assert.equal(await fixture.store.leaseConfig(withZlib, 'a-scan', new Date(), 60_000), true);
        await fixture.importRecord(zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR }));
        const rematcher = fixture.rematcher();
        assert.deepEqual(await rematcher.runPending(), { changes: 0, configurations: 0, images: 0, busy: 1 });
        assert.equal(await pendingChanges(fixture.db), 1, 'the change stays queued while the configuration is busy');
        await fixture.store.releaseLease(withZlib, 'a-scan');
        await new Promise((resolve) => setTimeout(resolve, 30));
        assert.deepEqual(await rematcher.runPending(), { changes: 1, configurations: 1, images: 1, busy: 0 });
      });

      it('waits for a scan that began before the change, then re-matches what it committed', async (t) => {
        const fixture = await openFixture(await dialect.createDatabase(), proxy, dir);
        t.after(() => fixture.close());
        await scanOnce(fixture, proxy, dir);
        const { withoutZlib } = fixture.configs;
        // A scan of a configuration the change does not concern is under way.
        await fixture.store.requestScan(withoutZlib, new Date());
        const [scan] = await fixture.store.claimDueScans('a-scheduler', new Date(), 60_000, 1);
        assert.equal(scan?.config.id, withoutZlib);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await fixture.importRecord(zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR }));
        const rematcher = fixture.rematcher();
        const first = await rematcher.runPending();
        assert.equal(first.configurations, 1, 'what is not being scanned is re-matched at once');
        assert.equal(first.busy, 1);
        assert.equal(await pendingChanges(fixture.db), 1, 'the change is not finished while that scan runs');
        const finishedAt = new Date();
        assert.equal(
          await fixture.store.commitScan({ configId: withoutZlib, runId: scan?.runId ?? '', owner: 'a-scheduler', finishedAt, images: null, status: 'FAILED', error: 'listing failed', nextScanAt: finishedAt }),
          true,
        );
        await new Promise((resolve) => setTimeout(resolve, 30));
        const second = await rematcher.runPending();
        assert.equal(second.busy, 0);
        assert.equal(second.changes, 1);
        assert.equal(await pendingChanges(fixture.db), 0);
      });

      it('runs in the service: the periodic import wakes the re-match', async (t) => {
        const url = await dialect.createDatabase();
        const fixture = await openFixture(url, proxy, dir);
        t.after(() => fixture.close());
        await scanOnce(fixture, proxy, dir);
        const source = join(await mkdtemp(join(dir, 'service-')), `${RECORD_ID}.json`);
        await writeFile(source, zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR }));
        const config = loadConfig({ DATABASE_URL: url, ECRSCAN_OSV_SOURCES: source, ECRSCAN_INSECURE_REGISTRIES: proxy.host });
        const scanners = createScanners({ store: { ...fixture.store, database: fixture.db }, config, logger: createLogger('silent') });
        const stop = scanners.startRefresh();
        t.after(stop);
        const deadline = Date.now() + 20_000;
        let found: ScanEvent[] = [];
        while (found.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          found = (await eventsOf(fixture.store, fixture.configs.withZlib)).filter((event) => event.type === 'finding.new' && event.detail.finding?.name === CVE);
        }
        assert.equal(found.length, 1, 'the new advisory reached the stored inventory without a scan');
      });

      if (dialect.name === 'postgres') {
        it('two processes importing and re-matching at once reach the end state of one', async (t) => {
          const url = await dialect.createDatabase();
          const first = await openFixture(url, proxy, dir);
          t.after(() => first.close());
          await scanOnce(first, proxy, dir);
          const second = await openFixture(url, proxy, await mkdtemp(join(dir, 'second-')));
          t.after(() => second.close());
          const record = zlibRecord(1, { fixed: '1:1.3.dfsg-1', vector: CRITICAL_VECTOR });
          await Promise.all([first.importRecord(record), second.importRecord(record)]);
          const one = first.rematcher('process-1');
          const two = second.rematcher('process-2');
          for (let round = 0; round < 100 && (await pendingChanges(first.db)) > 0; round++) {
            await Promise.all([one.runPending(), two.runPending()]);
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
          assert.equal(await pendingChanges(first.db), 0);
          const { withZlib, withoutZlib } = first.configs;
          const rows = await first.db.selectFrom('findings').select(['id', 'fixed_at']).where('config_id', '=', withZlib).where('name', '=', CVE).execute();
          assert.equal(rows.length, 1);
          assert.equal(rows[0]?.fixed_at, null);
          const news = (await eventsOf(first.store, withZlib)).filter((event) => event.detail.finding?.name === CVE);
          assert.deepEqual(news.map((event) => event.type), ['finding.new']);
          assert.equal((await eventsOf(first.store, withoutZlib)).filter((event) => event.detail.finding?.name === CVE).length, 0);
        });
      }
    });
  }
});
