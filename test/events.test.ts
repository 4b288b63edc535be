import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { validate as validUuid, version as uuidVersion } from 'uuid';
import type { EventQuery, EventType, ScanEvent } from '../src/domain/event.js';
import type { Finding } from '../src/domain/finding.js';
import type { ScanConfig } from '../src/domain/scan-config.js';
import type { Severity } from '../src/domain/severity.js';
import type { ClaimedScan, ImageResult, ScanResult, Store } from '../src/store/store.js';
import { databases, type TestDialect } from './support/databases.js';

const T0 = new Date('2026-12-07T10:00:00.000Z');
const LEASE_MS = 60_000;

function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

function configInput(overrides: Partial<Omit<ScanConfig, 'id' | 'created'>> = {}): Omit<ScanConfig, 'id' | 'created'> {
  return { region: null, registry: 'registry.example:5000', repository: 'team/api', tags: null, schedule: null, scanner: 'builtin', platform: null, ...overrides };
}

function finding(name: string, severity: Severity, overrides: Partial<Finding> = {}): Finding {
  return {
    name,
    severity,
    package: 'openssl',
    version: '3.0.11-1~deb12u1',
    fixedVersion: '3.0.15-1~deb12u1',
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    description: `${name} in openssl`,
    cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
    aliases: [],
    path: 'var/lib/dpkg/status',
    ...overrides,
  };
}

function image(tag: string, findings: Finding[] | null, overrides: Partial<ImageResult> = {}): ImageResult {
  return { tag, digest: `sha256:${tag.padEnd(64, '0')}`, status: 'COMPLETE', error: null, scanner: 'builtin@1', findings, ...overrides };
}

async function scanOnce(store: Store, now: Date, images: ImageResult[] | null, overrides: Partial<ScanResult> = {}): Promise<ClaimedScan> {
  const [claim] = await store.claimDueScans('scanner-a', now, LEASE_MS, 1);
  assert.ok(claim, `nothing was due at ${now.toISOString()}`);
  const result: ScanResult = {
    configId: claim.config.id,
    runId: claim.runId,
    owner: 'scanner-a',
    finishedAt: now,
    images,
    status: 'COMPLETE',
    error: null,
    nextScanAt: now,
    ...overrides,
  };
  assert.equal(await store.commitScan(result), true);
  return claim;
}

const ALL: EventQuery = { configIds: null, types: null, severities: null, afterSeq: null, limit: 1000, order: 'asc' };

async function events(store: Store, query: Partial<EventQuery> = {}): Promise<ScanEvent[]> {
  const page = await store.listEvents({ ...ALL, ...query });
  return page.events;
}

/** Events after the log position `seq`, as `type tag name` lines that read like a changelog. */
async function eventsSince(store: Store, seq: number): Promise<string[]> {
  return (await events(store, { afterSeq: seq })).map((event) => [event.type, event.tag, event.detail.finding?.name].filter(Boolean).join(' '));
}

async function lastSeq(store: Store): Promise<number> {
  return (await events(store)).at(-1)?.seq ?? 0;
}

async function fresh(dialect: TestDialect, t: TestContext): Promise<Store> {
  const store = await dialect.openStore();
  t.after(() => store.close());
  return store;
}

for (const dialect of await databases()) {
  describe(`event log (${dialect.name})`, () => {
    it('records a first scan as images added and findings new, with what a receiver needs to act', async (t) => {
      const store = await fresh(dialect, t);
      const config = await store.createConfig(configInput(), T0);
      const claim = await scanOnce(store, at(1_000), [image('1.0', [finding('CVE-2026-0001', 'HIGH')])]);
      const logged = await events(store);
      assert.deepEqual(
        logged.map((event) => event.type),
        ['image.added', 'finding.new'],
      );
      const found = logged[1];
      assert.ok(found);
      assert.ok(validUuid(found.id) && uuidVersion(found.id) === 7, `${found.id} is not a UUIDv7`);
      assert.equal(found.time.getTime(), at(1_000).getTime());
      assert.equal(found.configId, config.id);
      assert.equal(found.runId, claim.runId);
      assert.equal(found.repository, 'team/api');
      assert.equal(found.registry, 'registry.example:5000');
      assert.equal(found.tag, '1.0');
      assert.equal(found.digest, `sha256:${'1.0'.padEnd(64, '0')}`);
      assert.equal(found.severity, 'HIGH');
      assert.deepEqual(found.detail.finding, {
        name: 'CVE-2026-0001',
        severity: 'HIGH',
        package: 'openssl',
        version: '3.0.11-1~deb12u1',
        fixedVersion: '3.0.15-1~deb12u1',
        uri: 'https://security-tracker.debian.org/tracker/CVE-2026-0001',
        cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
        aliases: [],
        path: 'var/lib/dpkg/status',
      });
    });

    it('writes nothing for a rescan that changes nothing, and leaves the revision alone otherwise', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      const scanned = [image('1.0', [finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0002', 'LOW', { package: 'zlib' })])];
      await scanOnce(store, at(1_000), scanned);
      const seq = await lastSeq(store);
      await scanOnce(store, at(2_000), scanned);
      await scanOnce(store, at(3_000), scanned);
      assert.deepEqual(await eventsSince(store, seq), []);
    });

    it('follows a finding through fixed, reopened and changed', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      const vulnerable = finding('CVE-2026-0001', 'HIGH');
      await scanOnce(store, at(1_000), [image('1.0', [vulnerable])]);
      let seq = await lastSeq(store);
      await scanOnce(store, at(2_000), [image('1.0', [])]);
      assert.deepEqual(await eventsSince(store, seq), ['finding.fixed 1.0 CVE-2026-0001']);
      const fixed = (await events(store, { types: ['finding.fixed'] }))[0];
      assert.equal(fixed?.detail.reason, 'not_found');
      assert.equal(fixed?.detail.finding?.package, 'openssl');
      seq = await lastSeq(store);
      await scanOnce(store, at(3_000), [image('1.0', [vulnerable])]);
      assert.deepEqual(await eventsSince(store, seq), ['finding.reopened 1.0 CVE-2026-0001']);
      seq = await lastSeq(store);
      await scanOnce(store, at(4_000), [image('1.0', [{ ...vulnerable, severity: 'CRITICAL', cvss: { score: 9.8, vector: null } }])]);
      const changed = await events(store, { afterSeq: seq });
      assert.deepEqual(changed.map((event) => event.type), ['finding.changed']);
      assert.deepEqual(changed[0]?.detail.previous, { severity: 'HIGH', fixedVersion: '3.0.15-1~deb12u1', cvss: vulnerable.cvss });
      assert.equal(changed[0]?.severity, 'CRITICAL');
      seq = await lastSeq(store);
      // A description or advisory link rewritten upstream is not a change users act on.
      await scanOnce(store, at(5_000), [image('1.0', [{ ...vulnerable, severity: 'CRITICAL', cvss: { score: 9.8, vector: null }, description: 'reworded' }])]);
      assert.deepEqual(await eventsSince(store, seq), []);
    });

    it('reports a package upgrade as its findings fixed and a new one as new', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      await scanOnce(store, at(1_000), [image('1.0', [finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0002', 'MEDIUM')])]);
      const seq = await lastSeq(store);
      await scanOnce(store, at(2_000), [image('1.0', [finding('CVE-2026-0003', 'LOW', { package: 'openssl', version: '3.0.15-1~deb12u1' })])]);
      assert.deepEqual((await eventsSince(store, seq)).sort(), ['finding.fixed 1.0 CVE-2026-0001', 'finding.fixed 1.0 CVE-2026-0002', 'finding.new 1.0 CVE-2026-0003']);
    });

    it('tells a tag that moved, appeared and disappeared', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      await scanOnce(store, at(1_000), [image('1.0', [finding('CVE-2026-0001', 'HIGH')]), image('latest', [])]);
      let seq = await lastSeq(store);
      const moved = image('latest', [finding('CVE-2026-0001', 'HIGH')], { digest: `sha256:${'f'.repeat(64)}` });
      await scanOnce(store, at(2_000), [image('2.0', []), moved]);
      const logged = await events(store, { afterSeq: seq });
      assert.deepEqual(
        logged.map((event) => [event.type, event.tag]),
        [
          ['image.added', '2.0'],
          ['image.digest_changed', 'latest'],
          ['finding.new', 'latest'],
          ['image.removed', '1.0'],
        ],
      );
      assert.equal(logged[1]?.detail.previousDigest, `sha256:${'latest'.padEnd(64, '0')}`);
      assert.equal(logged[1]?.digest, `sha256:${'f'.repeat(64)}`);
      assert.equal(logged[3]?.detail.closedFindings, 1);
      seq = await lastSeq(store);
      await scanOnce(store, at(3_000), [image('1.0', [finding('CVE-2026-0001', 'HIGH')]), image('2.0', []), moved]);
      assert.deepEqual(await eventsSince(store, seq), ['image.added 1.0', 'finding.reopened 1.0 CVE-2026-0001']);
    });

    it('writes one failed and one recovered per transition, not per failed retry', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      await scanOnce(store, at(1_000), [image('1.0', [])]);
      let seq = await lastSeq(store);
      // The registry cannot be reached: the configuration fails as a whole, twice.
      const unreachable = { status: 'FAILED' as const, error: 'registry.example:5000: connection refused' };
      await scanOnce(store, at(2_000), null, unreachable);
      await scanOnce(store, at(3_000), null, unreachable);
      await scanOnce(store, at(4_000), [image('1.0', [])]);
      const logged = await events(store, { afterSeq: seq });
      assert.deepEqual(logged.map((event) => [event.type, event.detail.scope]), [
        ['scan.failed', 'config'],
        ['scan.recovered', 'config'],
      ]);
      assert.equal(logged[0]?.detail.error, 'registry.example:5000: connection refused');
      seq = await lastSeq(store);
      // One image fails twice, then scans again.
      const broken = image('1.0', null, { status: 'FAILED', error: 'layer digest mismatch' });
      await scanOnce(store, at(5_000), [broken], { status: 'FAILED', error: '1 of 1 images not scanned' });
      await scanOnce(store, at(6_000), [broken], { status: 'FAILED', error: '1 of 1 images not scanned' });
      await scanOnce(store, at(7_000), [image('1.0', [])]);
      const imageEvents = await events(store, { afterSeq: seq });
      assert.deepEqual(imageEvents.map((event) => [event.type, event.detail.scope, event.tag]), [
        ['scan.failed', 'image', '1.0'],
        ['scan.recovered', 'image', '1.0'],
      ]);
      assert.equal(imageEvents[0]?.detail.error, 'layer digest mismatch');
    });

    it('keeps open the findings of a file the scan could not read', async (t) => {
      const store = await fresh(dialect, t);
      const config = await store.createConfig(configInput(), T0);
      const npm = finding('GHSA-aaaa-bbbb-cccc', 'HIGH', { package: 'lodash', path: 'app/package-lock.json' });
      const deb = finding('CVE-2026-0001', 'HIGH');
      await scanOnce(store, at(1_000), [image('1.0', [npm, deb])]);
      const seq = await lastSeq(store);
      // The lock file could not be read this time; the dpkg database was, without the CVE.
      await scanOnce(store, at(2_000), [image('1.0', [], { unsettledPaths: ['app/package-lock.json'] })]);
      assert.deepEqual(await eventsSince(store, seq), ['finding.fixed 1.0 CVE-2026-0001']);
      const open = await store.listFindings(config.id, { limit: 10, after: null, severities: null, status: 'ACTIVE' });
      assert.deepEqual(open.findings.map((stored) => stored.name), ['GHSA-aaaa-bbbb-cccc']);
      assert.deepEqual((await store.summary())[0]?.images[0]?.counts, { HIGH: 1 });
    });

    it('writes no event for a result whose lease was lost', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      const [claim] = await store.claimDueScans('scanner-a', at(1_000), LEASE_MS, 1);
      assert.ok(claim);
      // The lease expires and another process takes the configuration over.
      const [taken] = await store.claimDueScans('scanner-b', at(1_000 + LEASE_MS + 1), LEASE_MS, 1);
      assert.ok(taken);
      const late: ScanResult = {
        configId: claim.config.id,
        runId: claim.runId,
        owner: 'scanner-a',
        finishedAt: at(LEASE_MS + 2_000),
        images: [image('1.0', [finding('CVE-2026-0001', 'HIGH')])],
        status: 'COMPLETE',
        error: null,
        nextScanAt: at(LEASE_MS + 2_000),
      };
      assert.equal(await store.commitScan(late), false);
      assert.deepEqual(await events(store), []);
    });

    it('filters by configuration, type and severity, and pages in both directions without gaps', async (t) => {
      const store = await fresh(dialect, t);
      const first = await store.createConfig(configInput(), T0);
      await scanOnce(store, at(1_000), [image('1.0', [finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0002', 'LOW', { package: 'zlib' })])], {
        nextScanAt: at(86_400_000),
      });
      const second = await store.createConfig(configInput({ repository: 'team/web' }), at(1_500));
      const findings = Array.from({ length: 25 }, (_, i) => finding(`CVE-2026-1${String(i).padStart(3, '0')}`, i % 2 ? 'CRITICAL' : 'MEDIUM', { package: `p${i}` }));
      await scanOnce(store, at(2_000), [image('main', findings)]);
      assert.deepEqual((await events(store, { configIds: [first.id] })).map((event) => event.repository), ['team/api', 'team/api', 'team/api']);
      assert.equal((await events(store, { configIds: [second.id], types: ['finding.new'] as EventType[] })).length, 25);
      assert.deepEqual(
        [...new Set((await events(store, { severities: ['HIGH', 'CRITICAL'] })).map((event) => event.severity))].sort(),
        ['CRITICAL', 'HIGH'],
      );
      for (const order of ['asc', 'desc'] as const) {
        const seen: number[] = [];
        let after: number | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.listEvents({ ...ALL, order, limit: 7, afterSeq: after });
          seen.push(...page.events.map((event) => event.seq));
          if (!page.next) break;
          after = page.events.at(-1)?.seq ?? null;
        }
        const all = (await events(store)).map((event) => event.seq);
        assert.deepEqual(seen, order === 'asc' ? all : [...all].reverse());
        assert.equal(all.length, 29);
      }
    });

    it('prunes old events in bounded batches and deletes a configuration\'s events with it', async (t) => {
      const store = await fresh(dialect, t);
      await store.createConfig(configInput(), T0);
      const five = Array.from({ length: 5 }, (_, i) => finding(`CVE-2026-000${i}`, 'LOW', { package: `p${i}` }));
      await scanOnce(store, at(1_000), [image('1.0', five)], { nextScanAt: at(86_400_000) });
      await store.createConfig(configInput({ repository: 'team/web' }), T0);
      await scanOnce(store, at(10_000), [image('1.0', [])], { nextScanAt: at(86_400_000) });
      assert.equal(await store.pruneEvents(at(5_000), 4), 4);
      assert.equal(await store.pruneEvents(at(5_000), 4), 2);
      assert.equal(await store.pruneEvents(at(5_000), 4), 0);
      assert.deepEqual((await events(store)).map((event) => event.repository), ['team/web']);
      const doomed = await store.createConfig(configInput({ repository: 'team/doomed' }), at(15_000));
      await scanOnce(store, at(20_000), [image('1.0', [finding('CVE-2026-0009', 'LOW')])]);
      assert.equal((await events(store, { configIds: [doomed.id] })).length, 2);
      assert.equal(await store.deleteConfig(doomed.id), true);
      assert.deepEqual((await events(store)).map((event) => event.repository), ['team/web']);
    });
  });
}
