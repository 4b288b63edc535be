import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import type { Finding } from '../src/domain/finding.js';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { SEVERITIES, type Severity } from '../src/domain/severity.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { migrations } from '../src/store/migrations/index.js';
import { openStore } from '../src/store/open-store.js';
import { openPostgres } from '../src/store/postgres/open-postgres.js';
import type { ClaimedScan, ImageResult, ScanResult, Store } from '../src/store/store.js';
import { databases, type TestDialect } from './support/databases.js';

const T0 = new Date('2026-11-27T10:00:00.250Z');
const LEASE_MS = 60_000;

/** Tags that a language collation orders differently from a byte-wise one (upper case, punctuation). */
const MIXED_TAGS = ['v3', 'V2', 'v1', 'a.c', 'ab', 'a-b', 'B', '_x', '10', '9'];
const CODE_POINT_ORDER = [...MIXED_TAGS].sort();

function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

function configInput(overrides: Partial<Omit<ScanConfig, 'id' | 'created'>> = {}): Omit<ScanConfig, 'id' | 'created'> {
  return {
    region: 'us-west-2',
    registry: '123456789012',
    repository: 'test/centos',
    tags: ['7'],
    schedule: null,
    scanner: 'ecr',
    platform: null,
    ...overrides,
  };
}

function finding(name: string, severity: Severity, pkg: string | null = 'openssl'): Finding {
  return {
    name,
    severity,
    package: pkg,
    version: '1.0.2k',
    fixedVersion: '1.0.2l',
    uri: `https://nvd.nist.gov/vuln/detail/${name}`,
    description: `${name} in ${pkg ?? 'the image'}`,
    cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
    aliases: [`GHSA-${name}`],
    path: null,
  };
}

function manyFindings(count: number): Finding[] {
  return Array.from({ length: count }, (_, i) => ({
    ...finding(`CVE-2026-${String(i).padStart(5, '0')}`, SEVERITIES[i % SEVERITIES.length] as Severity, `package-${i % 400}`),
    description: `A flaw in package-${i % 400} lets a remote attacker do something unpleasant. `.repeat(3),
  }));
}

function image(tag: string, findings: Finding[] | null, overrides: Partial<ImageResult> = {}): ImageResult {
  return { tag, digest: `sha256:${tag.padEnd(64, '0')}`, status: 'COMPLETE', error: null, scanner: 'ecr@1', findings, ...overrides };
}

async function claimOne(store: Store, owner: string, now: Date): Promise<ClaimedScan> {
  const [claim, ...rest] = await store.claimDueScans(owner, now, LEASE_MS, 1);
  assert.ok(claim, `${owner} claimed nothing at ${now.toISOString()}`);
  assert.equal(rest.length, 0);
  return claim;
}

function result(claim: ClaimedScan, owner: string, finishedAt: Date, images: ImageResult[] | null, overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    configId: claim.config.id,
    runId: claim.runId,
    owner,
    finishedAt,
    images,
    status: 'COMPLETE',
    error: null,
    nextScanAt: new Date(finishedAt.getTime() + 86_400_000),
    ...overrides,
  };
}

/** Claims the configuration (due by `now`) and commits one scan of it. */
async function scanOnce(store: Store, now: Date, images: ImageResult[] | null, overrides: Partial<ScanResult> = {}): Promise<ClaimedScan> {
  const claim = await claimOne(store, 'scanner-a', now);
  assert.equal(await store.commitScan(result(claim, 'scanner-a', now, images, { nextScanAt: now, ...overrides })), true);
  return claim;
}

async function allFindings(store: Store, configId: string, status: 'ACTIVE' | 'FIXED' | 'ALL' = 'ALL') {
  const page = await store.listFindings(configId, { limit: 1000, after: null, severities: null, status });
  assert.equal(page.next, null);
  return page.findings;
}

async function fresh(dialect: TestDialect, t: TestContext): Promise<Store> {
  const store = await dialect.openStore();
  t.after(() => store.close());
  return store;
}

for (const dialect of await databases()) {
  describe(dialect.name, () => {
    describe('configurations', () => {
      it('creates a configuration due at once, created in the second it was registered', async (t) => {
        const store = await fresh(dialect, t);
        const created = await store.createConfig(configInput({ tags: ['7', '1.*'], schedule: '6h' }), T0);
        assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        // The demo writes `created` as whole Unix seconds; the second must be the one of registration.
        assert.equal(Math.floor(created.created.getTime() / 1000), Math.floor(T0.getTime() / 1000));
        assert.deepEqual(created.tags, ['7', '1.*']);
        assert.equal(created.schedule, '6h');
        assert.equal(created.status, 'NEW');
        assert.equal(created.lastScan, null);
        assert.deepEqual(created.nextScan, T0);
        assert.deepEqual(created.images, []);
        assert.deepEqual(await store.getConfig(created.id), created);
      });

      it('keeps tags null (every tag) apart from an empty or given list', async (t) => {
        const store = await fresh(dialect, t);
        const all = await store.createConfig(configInput({ tags: null, registry: 'ghcr.io', region: null, scanner: 'builtin' }), T0);
        const some = await store.createConfig(configInput({ tags: ['latest'] }), T0);
        assert.equal((await store.getConfig(all.id))?.tags, null);
        assert.equal((await store.getConfig(all.id))?.region, null);
        assert.deepEqual((await store.getConfig(some.id))?.tags, ['latest']);
      });

      it('lists configurations in creation order', async (t) => {
        const store = await fresh(dialect, t);
        assert.deepEqual(await store.listConfigs(), []);
        const second = await store.createConfig(configInput({ repository: 'second' }), at(2_000));
        const first = await store.createConfig(configInput({ repository: 'first' }), at(0));
        const third = await store.createConfig(configInput({ repository: 'third' }), at(60_000));
        const listed = await store.listConfigs();
        assert.deepEqual(
          listed.map((config) => config.repository),
          ['first', 'second', 'third'],
        );
        assert.deepEqual(listed, [await store.getConfig(first.id), await store.getConfig(second.id), await store.getConfig(third.id)]);
      });

      it('deletes a configuration with its images, findings and runs', async (t) => {
        const store = await fresh(dialect, t);
        const kept = await store.createConfig(configInput({ repository: 'kept' }), T0);
        const gone = await store.createConfig(configInput({ repository: 'gone' }), at(1_000));
        const run = await store.requestScan(gone.id, at(1_000));
        assert.ok(run);
        const claims = await store.claimDueScans('scanner-a', at(2_000), LEASE_MS, 10);
        for (const claim of claims) {
          await store.commitScan(result(claim, 'scanner-a', at(3_000), [image('7', [finding('CVE-2026-0001', 'HIGH')])]));
        }
        assert.equal(await store.deleteConfig(gone.id), true);
        assert.equal(await store.getConfig(gone.id), undefined);
        assert.equal(await store.getRun(run.id), undefined);
        assert.deepEqual(await allFindings(store, gone.id), []);
        assert.deepEqual(
          (await store.summary()).map((config) => config.id),
          [kept.id],
        );
        assert.equal((await allFindings(store, kept.id)).length, 1);
        assert.equal(await store.deleteConfig(gone.id), false);
        assert.equal(await store.getConfig('00000000-0000-0000-0000-000000000000'), undefined);
      });
    });

    describe('requesting scans', () => {
      it('queues a manual run and returns the queued one while it waits', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const run = await store.requestScan(config.id, at(5_000));
        assert.ok(run);
        assert.equal(run.configId, config.id);
        assert.equal(run.trigger, 'manual');
        assert.equal(run.outcome, 'QUEUED');
        assert.deepEqual(run.requestedAt, at(5_000));
        assert.equal(run.startedAt, null);
        assert.deepEqual(await store.getRun(run.id), run);
        assert.deepEqual(await store.requestScan(config.id, at(9_000)), run);
        const state = await store.getConfig(config.id);
        assert.equal(state?.status, 'QUEUED');
        assert.deepEqual(state?.nextScan, at(5_000));
        assert.equal(await store.requestScan('00000000-0000-0000-0000-000000000000', T0), undefined);
      });

      it('queues one run for requests arriving at the same time', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        // Connections ready in the pool, so that the requests really do overlap.
        await Promise.all([1, 2, 3, 4].map(() => store.summary()));
        const runs = await Promise.all([1, 2, 3, 4].map(() => store.requestScan(config.id, at(1_000))));
        assert.equal(new Set(runs.map((run) => run?.id)).size, 1);
      });

      it('starts the queued run when the configuration is claimed', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const run = await store.requestScan(config.id, at(1_000));
        assert.ok(run);
        const claim = await claimOne(store, 'scanner-a', at(2_000));
        assert.equal(claim.runId, run.id);
        const started = await store.getRun(run.id);
        assert.equal(started?.outcome, 'RUNNING');
        assert.deepEqual(started?.startedAt, at(2_000));
        assert.equal((await store.getConfig(config.id))?.status, 'SCANNING');
      });
    });

    describe('leases', () => {
      it('leases only due configurations, up to the limit', async (t) => {
        const store = await fresh(dialect, t);
        const due = [];
        for (let i = 0; i < 3; i++) due.push(await store.createConfig(configInput({ repository: `due-${i}` }), at(i)));
        const later = await store.createConfig(configInput({ repository: 'later' }), at(10 * 60_000));
        const first = await store.claimDueScans('scanner-a', at(1_000), LEASE_MS, 2);
        assert.equal(first.length, 2);
        for (const claim of first) {
          assert.deepEqual(claim.leaseExpiresAt, at(1_000 + LEASE_MS));
          assert.equal((await store.getRun(claim.runId))?.trigger, 'schedule');
        }
        const second = await store.claimDueScans('scanner-b', at(1_000), LEASE_MS, 2);
        assert.equal(second.length, 1);
        const claimed = [...first, ...second].map((claim) => claim.config.repository).sort();
        assert.deepEqual(claimed, ['due-0', 'due-1', 'due-2']);
        assert.ok(!claimed.includes(later.repository));
        assert.deepEqual(await store.claimDueScans('scanner-c', at(2_000), LEASE_MS, 10), []);
        assert.equal(due.length, 3);
      });

      it('takes over an expired lease and abandons the run of the old owner', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const old = await claimOne(store, 'scanner-a', at(1_000));
        assert.deepEqual(await store.claimDueScans('scanner-b', at(1_000 + LEASE_MS - 1), LEASE_MS, 10), []);
        const taken = await claimOne(store, 'scanner-b', at(1_000 + LEASE_MS + 1));
        assert.equal(taken.config.id, config.id);
        assert.notEqual(taken.runId, old.runId);
        const abandoned = await store.getRun(old.runId);
        assert.equal(abandoned?.outcome, 'ABANDONED');
        assert.deepEqual(abandoned?.finishedAt, at(1_000 + LEASE_MS + 1));
        assert.equal((await store.getRun(taken.runId))?.outcome, 'RUNNING');
        assert.equal(await store.renewLease(config.id, 'scanner-a', at(LEASE_MS * 3)), false);
        assert.equal(await store.renewLease(config.id, 'scanner-b', at(LEASE_MS * 3)), true);
      });

      it('renews a held lease, so that it is not taken over', async (t) => {
        const store = await fresh(dialect, t);
        await store.createConfig(configInput(), T0);
        await claimOne(store, 'scanner-a', at(1_000));
        const config = (await store.listConfigs())[0];
        assert.ok(config);
        assert.equal(await store.renewLease(config.id, 'scanner-a', at(1_000 + 3 * LEASE_MS)), true);
        assert.deepEqual(await store.claimDueScans('scanner-b', at(1_000 + 2 * LEASE_MS), LEASE_MS, 10), []);
      });

      it('refuses to renew the lease of a deleted configuration', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        await claimOne(store, 'scanner-a', at(1_000));
        assert.equal(await store.deleteConfig(config.id), true);
        assert.equal(await store.renewLease(config.id, 'scanner-a', at(2 * LEASE_MS)), false);
      });

      it('releases leases so that another owner may claim the work at once', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const claim = await claimOne(store, 'scanner-a', at(1_000));
        await store.releaseLeases('scanner-a', at(2_000));
        const state = await store.getConfig(config.id);
        assert.equal(state?.status, 'QUEUED');
        assert.deepEqual(state?.nextScan, at(2_000));
        assert.equal((await store.getRun(claim.runId))?.outcome, 'QUEUED');
        const again = await claimOne(store, 'scanner-b', at(2_000));
        assert.equal(again.runId, claim.runId);
      });

      it('tells when the next configuration falls due', async (t) => {
        const store = await fresh(dialect, t);
        assert.equal(await store.nextDueAt(), null);
        await store.createConfig(configInput({ repository: 'later' }), at(50_000));
        await store.createConfig(configInput({ repository: 'sooner' }), at(20_000));
        assert.deepEqual(await store.nextDueAt(), at(20_000));
      });
    });

    describe('committing scans', () => {
      it('keeps first-seen, moves last-seen, fixes vanished findings and reopens returning ones', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const a = finding('CVE-2026-0001', 'HIGH');
        const b = finding('CVE-2026-0002', 'LOW', null);
        const c = finding('CVE-2026-0003', 'CRITICAL', 'glibc');
        await scanOnce(store, at(1_000), [image('7', [a, b])]);
        await scanOnce(store, at(2_000), [image('7', [b, c])]);

        const byName = new Map((await allFindings(store, config.id)).map((stored) => [stored.name, stored]));
        assert.equal(byName.get(a.name)?.status, 'FIXED');
        assert.deepEqual(byName.get(a.name)?.fixedAt, at(2_000));
        assert.deepEqual(byName.get(a.name)?.lastSeen, at(1_000));
        assert.deepEqual(byName.get(b.name)?.firstSeen, at(1_000));
        assert.deepEqual(byName.get(b.name)?.lastSeen, at(2_000));
        assert.equal(byName.get(b.name)?.package, null);
        assert.deepEqual(byName.get(c.name)?.firstSeen, at(2_000));
        assert.equal(byName.get(c.name)?.fixedAt, null);

        await scanOnce(store, at(3_000), [image('7', [a, b, c])]);
        const reopened = (await allFindings(store, config.id)).find((stored) => stored.name === a.name);
        assert.equal(reopened?.status, 'ACTIVE');
        assert.equal(reopened?.fixedAt, null);
        assert.deepEqual(reopened?.firstSeen, at(1_000));
        assert.deepEqual(reopened?.lastSeen, at(3_000));
      });

      it('stores every field of a finding as given', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const given: Finding = { ...finding('CVE-2026-0042', 'MEDIUM'), cvss: { score: 6.1, vector: null }, aliases: ['GHSA-a', 'DSA-1'], path: 'usr/lib/node_modules/npm/package-lock.json' };
        const bare: Finding = { ...finding('CVE-2026-0043', 'UNDEFINED'), version: null, fixedVersion: null, uri: null, description: null, cvss: null, aliases: [] };
        await scanOnce(store, at(1_000), [image('7', [given, bare])]);
        const stored = await allFindings(store, config.id);
        const pick = (name: string) => {
          const found = stored.find((row) => row.name === name);
          assert.ok(found);
          const { name: n, severity, package: p, version, fixedVersion, uri, description, cvss, aliases, path } = found;
          return { name: n, severity, package: p, version, fixedVersion, uri, description, cvss, aliases, path };
        };
        assert.deepEqual(pick(given.name), given);
        assert.deepEqual(pick(bare.name), bare);
        const one = stored.find((row) => row.name === given.name);
        assert.equal(one?.configId, config.id);
        assert.equal(one?.tag, '7');
        assert.equal(one?.digest, image('7', []).digest);
        assert.equal(typeof one?.id, 'number');
      });

      it('keeps the previous findings and digest of an image whose scan failed', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        await scanOnce(store, at(1_000), [image('7', [finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0002', 'HIGH', 'zlib')])]);
        await scanOnce(store, at(2_000), [image('7', null, { status: 'FAILED', error: 'registry said 503', digest: null })], {
          status: 'FAILED',
          error: 'registry said 503',
        });
        const findings = await allFindings(store, config.id);
        assert.equal(findings.length, 2);
        assert.ok(findings.every((stored) => stored.status === 'ACTIVE' && stored.lastSeen.getTime() === at(1_000).getTime()));
        const [summary] = await store.summary();
        const [failed] = summary?.images ?? [];
        assert.equal(failed?.status, 'FAILED');
        assert.equal(failed?.error, 'registry said 503');
        assert.equal(failed?.digest, image('7', []).digest);
        assert.deepEqual(failed?.counts, { HIGH: 2 });
        assert.equal(summary?.status, 'FAILED');
        assert.equal(summary?.lastError, 'registry said 503');
      });

      it('keeps the known images when the image list could not be read', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        await scanOnce(store, at(1_000), [image('7', [finding('CVE-2026-0001', 'LOW')])]);
        await scanOnce(store, at(2_000), null, { status: 'FAILED', error: 'repository not readable' });
        const state = await store.getConfig(config.id);
        assert.deepEqual(
          state?.images.map((known) => known.tag),
          ['7'],
        );
        assert.equal(state?.lastError, 'repository not readable');
        assert.equal((await allFindings(store, config.id, 'ACTIVE')).length, 1);
      });

      it('hides images no longer listed and closes their findings, which a returning tag reopens', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput({ tags: null }), T0);
        await scanOnce(store, at(1_000), [image('a', [finding('CVE-2026-0001', 'LOW')]), image('b', [finding('CVE-2026-0002', 'LOW')])]);
        await scanOnce(store, at(2_000), [image('b', [finding('CVE-2026-0002', 'LOW')])]);
        assert.deepEqual((await store.getConfig(config.id))?.images.map((known) => known.tag), ['b']);
        assert.deepEqual((await store.summary())[0]?.images.map((known) => known.tag), ['b']);
        assert.deepEqual((await allFindings(store, config.id, 'ACTIVE')).map((stored) => stored.tag), ['b']);
        const closed = (await allFindings(store, config.id, 'FIXED')).map((stored) => [stored.tag, stored.fixedAt?.getTime()]);
        assert.deepEqual(closed, [['a', at(2_000).getTime()]]);
        await scanOnce(store, at(3_000), []);
        assert.deepEqual((await store.getConfig(config.id))?.images, []);
        assert.deepEqual(await allFindings(store, config.id, 'ACTIVE'), []);
        assert.equal((await allFindings(store, config.id, 'FIXED')).length, 2);
        await scanOnce(store, at(4_000), [image('a', [finding('CVE-2026-0001', 'LOW')])]);
        const reopened = await allFindings(store, config.id, 'ACTIVE');
        assert.deepEqual(reopened.map((stored) => [stored.tag, stored.firstSeen.getTime(), stored.fixedAt]), [['a', at(1_000).getTime(), null]]);
        assert.deepEqual((await store.summary())[0]?.images.map((known) => [known.tag, known.counts]), [['a', { LOW: 1 }]]);
      });

      it('lists a configuration\'s images in code-point order of their tags', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput({ tags: null }), T0);
        await scanOnce(store, at(1_000), MIXED_TAGS.map((tag) => image(tag, [])));
        assert.deepEqual((await store.getConfig(config.id))?.images.map((known) => known.tag), CODE_POINT_ORDER);
        assert.deepEqual((await store.listConfigs())[0]?.images.map((known) => known.tag), CODE_POINT_ORDER);
        assert.deepEqual((await store.summary())[0]?.images.map((known) => known.tag), CODE_POINT_ORDER);
      });

      it('keeps counts equal to the open findings by severity', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput({ tags: null }), T0);
        const first = SEVERITIES.flatMap((severity, i) =>
          Array.from({ length: i + 1 }, (_, n) => finding(`CVE-2026-${severity}-${n}`, severity, `pkg-${n}`)),
        );
        // A duplicate report of one finding counts once.
        await scanOnce(store, at(1_000), [image('x', [...first, first[0] as Finding]), image('y', [finding('CVE-2026-9', 'LOW')])]);
        await scanOnce(store, at(2_000), [image('x', first.filter((_, i) => i % 2 === 0)), image('y', [])]);
        for (const summaryImage of (await store.summary())[0]?.images ?? []) {
          const open = (await allFindings(store, config.id, 'ACTIVE')).filter((stored) => stored.tag === summaryImage.tag);
          const expected: Partial<Record<Severity, number>> = {};
          for (const stored of open) expected[stored.severity] = (expected[stored.severity] ?? 0) + 1;
          assert.deepEqual(summaryImage.counts, expected, `counts of ${summaryImage.tag}`);
        }
        assert.deepEqual((await store.summary())[0]?.images.find((known) => known.tag === 'y')?.counts, {});
      });

      it('never lets a claim take the lease of a scan being committed', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const claim = await claimOne(store, 'scanner-a', at(1_000));
        // The lease has run out when the result arrives; until another owner claims, it is still this owner's.
        const expired = at(2_000 + LEASE_MS);
        const committing = store.commitScan(result(claim, 'scanner-a', expired, [image('7', manyFindings(3_000))], { nextScanAt: at(LEASE_MS * 10) }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const claimed = await store.claimDueScans('scanner-b', expired, LEASE_MS, 10);
        const committed = await committing;
        assert.ok(committed !== (claimed.length === 1), `committed: ${committed}, claimed: ${claimed.length}`);
        if (committed) assert.equal((await store.getConfig(config.id))?.status, 'COMPLETE');
      });

      it('deletes a configuration while its scan is being committed', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        await scanOnce(store, at(1_000), [image('7', manyFindings(3_000))]);
        const claim = await claimOne(store, 'scanner-a', at(2_000));
        const committing = store.commitScan(result(claim, 'scanner-a', at(3_000), [image('7', manyFindings(3_000))]));
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(await store.deleteConfig(config.id), true);
        await committing;
        assert.equal(await store.getConfig(config.id), undefined);
        assert.deepEqual(await allFindings(store, config.id), []);
        assert.deepEqual(await store.summary(), []);
      });

      it('writes nothing and answers false when the lease was lost', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const old = await claimOne(store, 'scanner-a', at(1_000));
        const taken = await claimOne(store, 'scanner-b', at(2_000 + LEASE_MS));
        const before = await store.revision();
        const late = result(old, 'scanner-a', at(3_000 + LEASE_MS), [image('7', [finding('CVE-2026-0001', 'HIGH')])]);
        assert.equal(await store.commitScan(late), false);
        assert.equal(await store.revision(), before);
        assert.deepEqual(await allFindings(store, config.id), []);
        const state = await store.getConfig(config.id);
        assert.deepEqual(state?.images, []);
        assert.equal(state?.status, 'SCANNING');
        assert.equal(await store.renewLease(config.id, 'scanner-b', at(4_000 + LEASE_MS)), true);
        assert.equal((await store.getRun(taken.runId))?.outcome, 'RUNNING');
      });

      it('finishes the run and frees the configuration for its next turn', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const claim = await claimOne(store, 'scanner-a', at(1_000));
        const nextScanAt = at(1_000 + 86_400_000);
        assert.equal(await store.commitScan(result(claim, 'scanner-a', at(5_000), [image('7', [])], { status: 'PARTIAL', error: 'one image failed', nextScanAt })), true);
        const run = await store.getRun(claim.runId);
        assert.equal(run?.outcome, 'PARTIAL');
        assert.deepEqual(run?.finishedAt, at(5_000));
        assert.equal(run?.error, 'one image failed');
        const state = await store.getConfig(config.id);
        assert.equal(state?.status, 'PARTIAL');
        assert.deepEqual(state?.lastScan, at(5_000));
        assert.deepEqual(state?.nextScan, nextScanAt);
        assert.ok((state?.revision ?? 0) > config.revision);
        assert.deepEqual(state?.images, [{ tag: '7', digest: image('7', []).digest, status: 'COMPLETE', error: null }]);
        assert.deepEqual(await store.claimDueScans('scanner-b', at(10_000), LEASE_MS, 10), []);
        assert.equal((await store.claimDueScans('scanner-b', nextScanAt, LEASE_MS, 10)).length, 1);
      });

      it('queues the configuration again when a scan was requested while it ran', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const claim = await claimOne(store, 'scanner-a', at(1_000));
        const queued = await store.requestScan(config.id, at(2_000));
        assert.ok(queued);
        assert.equal((await store.getConfig(config.id))?.status, 'SCANNING');
        await store.commitScan(result(claim, 'scanner-a', at(3_000), [image('7', [])]));
        const state = await store.getConfig(config.id);
        assert.equal(state?.status, 'QUEUED');
        assert.deepEqual(state?.nextScan, at(3_000));
        assert.equal((await claimOne(store, 'scanner-b', at(3_000))).runId, queued.id);
      });
    });

    describe('reading findings', () => {
      it('pages newest first with an opaque cursor', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const names = (from: number, count: number) => Array.from({ length: count }, (_, i) => `CVE-2026-${String(from + i).padStart(4, '0')}`);
        const older = names(0, 12);
        const newer = names(100, 13);
        await scanOnce(store, at(1_000), [image('7', older.map((name) => finding(name, 'HIGH')))]);
        await scanOnce(store, at(2_000), [image('7', [...older, ...newer].map((name) => finding(name, 'HIGH')))]);

        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page = await store.listFindings(config.id, { limit: 10, after, severities: null, status: 'ALL' });
          assert.ok(page.findings.length <= 10);
          if (page.next !== null) assert.doesNotMatch(page.next, /^[0-9.]+$/);
          seen.push(...page.findings.map((stored) => stored.name));
          after = page.next;
          pages++;
        } while (after !== null && pages < 10);
        assert.equal(pages, 3);
        assert.equal(new Set(seen).size, 25);
        assert.deepEqual(new Set(seen.slice(0, 13)), new Set(newer));
        assert.deepEqual(new Set(seen.slice(13)), new Set(older));
      });

      it('filters by severity and by status', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const critical = finding('CVE-2026-0001', 'CRITICAL');
        const high = finding('CVE-2026-0002', 'HIGH');
        const low = finding('CVE-2026-0003', 'LOW');
        await scanOnce(store, at(1_000), [image('7', [critical, high, low])]);
        await scanOnce(store, at(2_000), [image('7', [critical, low])]);
        const query = { limit: 100, after: null };
        const names = async (severities: Severity[] | null, status: 'ACTIVE' | 'FIXED' | 'ALL') =>
          (await store.listFindings(config.id, { ...query, severities, status })).findings.map((stored) => stored.name).sort();
        assert.deepEqual(await names(['HIGH', 'CRITICAL'], 'ALL'), [critical.name, high.name]);
        assert.deepEqual(await names(['HIGH', 'CRITICAL'], 'ACTIVE'), [critical.name]);
        assert.deepEqual(await names(null, 'FIXED'), [high.name]);
        assert.deepEqual(await names(null, 'ACTIVE'), [critical.name, low.name]);
        assert.deepEqual(await names(['MEDIUM'], 'ALL'), []);
        assert.deepEqual((await store.listFindings('00000000-0000-0000-0000-000000000000', { ...query, severities: null, status: 'ALL' })).findings, []);
      });
    });

    describe('summary and revision', () => {
      it('lists configurations in creation order with their images by tag', async (t) => {
        const store = await fresh(dialect, t);
        const later = await store.createConfig(configInput({ repository: 'later', tags: null }), at(5_000));
        const earlier = await store.createConfig(configInput({ repository: 'earlier', region: 'eu-west-1' }), at(1_000));
        const claims = await store.claimDueScans('scanner-a', at(6_000), LEASE_MS, 10);
        for (const claim of claims) {
          const images = claim.config.id === later.id ? [image('zeta', [finding('CVE-2026-1', 'LOW')]), image('alpha', [])] : [image('7', [finding('CVE-2026-2', 'HIGH')])];
          await store.commitScan(result(claim, 'scanner-a', at(7_000), images));
        }
        const summary = await store.summary();
        assert.deepEqual(
          summary.map((config) => [config.id, config.repository, config.region, config.status]),
          [
            [earlier.id, 'earlier', 'eu-west-1', 'COMPLETE'],
            [later.id, 'later', 'us-west-2', 'COMPLETE'],
          ],
        );
        assert.deepEqual(summary[0]?.lastScan, at(7_000));
        assert.deepEqual(
          summary[1]?.images.map((known) => [known.tag, known.counts, known.scanner, known.scannedAt?.getTime()]),
          [
            ['alpha', {}, 'ecr@1', at(7_000).getTime()],
            ['zeta', { LOW: 1 }, 'ecr@1', at(7_000).getTime()],
          ],
        );
      });

      it('moves the revision on every write and not on reads', async (t) => {
        const store = await fresh(dialect, t);
        const revisions = [await store.revision()];
        const moved = async (what: string) => {
          const now = await store.revision();
          assert.ok(now > (revisions.at(-1) ?? Infinity), `revision did not move on ${what}`);
          revisions.push(now);
        };
        const config = await store.createConfig(configInput(), T0);
        await moved('createConfig');
        await store.requestScan(config.id, at(1_000));
        await moved('requestScan');
        const claim = await claimOne(store, 'scanner-a', at(2_000));
        const beforeCommit = await store.revision();
        await store.commitScan(result(claim, 'scanner-a', at(3_000), [image('7', [finding('CVE-2026-1', 'LOW')])]));
        assert.ok((await store.revision()) > beforeCommit, 'revision did not move on commitScan');
        revisions.push(await store.revision());
        await store.listConfigs();
        await store.summary();
        await store.listFindings(config.id, { limit: 10, after: null, severities: null, status: 'ALL' });
        assert.equal(await store.revision(), revisions.at(-1));
        await store.deleteConfig(config.id);
        await moved('deleteConfig');
      });

      it('answers ping', async (t) => {
        const store = await fresh(dialect, t);
        await store.ping();
      });
    });

    describe('large scans', () => {
      it('writes one scan of 10,000 findings in under 5 s', async (t) => {
        const store = await fresh(dialect, t);
        const config = await store.createConfig(configInput(), T0);
        const findings = manyFindings(10_000);
        const claim = await claimOne(store, 'scanner-a', at(1_000));
        const started = performance.now();
        assert.equal(await store.commitScan(result(claim, 'scanner-a', at(2_000), [image('7', findings)], { nextScanAt: at(3_000) })), true);
        const firstMs = performance.now() - started;
        const again = await claimOne(store, 'scanner-a', at(3_000));
        const restarted = performance.now();
        assert.equal(await store.commitScan(result(again, 'scanner-a', at(4_000), [image('7', findings.slice(0, 9_000))])), true);
        const rewriteMs = performance.now() - restarted;
        t.diagnostic(`${dialect.name}: 10,000 new findings written in ${firstMs.toFixed(0)} ms; rescan (9,000 seen again, 1,000 fixed) in ${rewriteMs.toFixed(0)} ms`);
        assert.ok(firstMs < 5_000, `writing 10,000 findings took ${firstMs.toFixed(0)} ms`);
        assert.ok(rewriteMs < 5_000, `rewriting 10,000 findings took ${rewriteMs.toFixed(0)} ms`);
        const counts = (await store.summary())[0]?.images[0]?.counts;
        assert.equal(Object.values(counts ?? {}).reduce((sum, n) => sum + n, 0), 9_000);
        assert.equal((await allFindings(store, config.id, 'FIXED')).length, 1_000);
      });
    });

    if (dialect.name === 'postgres') postgresOnly(dialect);
  });
}

function postgresOnly(dialect: TestDialect): void {
  describe('a database with a language collation', () => {
    it('orders tags as SQLite does, whatever collation the database was created with', async (t) => {
      const adminUrl = await dialect.createDatabase();
      const admin = openPostgres(adminUrl, { poolSize: 1, statementTimeoutMs: 30_000 });
      const name = `ecrscan_icu_${process.pid}_${Date.now()}`;
      await sql`create database ${sql.id(name)} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US'`.execute(admin);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const store = await openStore(url.toString());
      const icu = openPostgres(url.toString(), { poolSize: 1, statementTimeoutMs: 30_000 });
      t.after(async () => {
        await store.close();
        await icu.destroy();
        await sql`drop database ${sql.id(name)}`.execute(admin);
        await admin.destroy();
      });
      const languageOrder = await sql<{ tag: string }>`select tag from unnest(${MIXED_TAGS}::text[]) as tag order by tag`.execute(icu);
      assert.notDeepEqual(languageOrder.rows.map((row) => row.tag), CODE_POINT_ORDER, 'the database collation orders these tags differently');
      const config = await store.createConfig(configInput({ tags: null }), T0);
      await scanOnce(store, at(1_000), MIXED_TAGS.map((tag) => image(tag, [])));
      assert.deepEqual((await store.getConfig(config.id))?.images.map((known) => known.tag), CODE_POINT_ORDER);
      assert.deepEqual((await store.summary())[0]?.images.map((known) => known.tag), CODE_POINT_ORDER);
    });
  });

  describe('several processes on one database', () => {
    it('migrates once when three processes start at the same time', async () => {
      const url = await dialect.createDatabase();
      const dbs = [1, 2, 3].map(() => openPostgres(url, { poolSize: 2, statementTimeoutMs: 0 }));
      try {
        await Promise.all(dbs.map((db) => migrateToLatest(db)));
        const [db] = dbs;
        assert.ok(db);
        const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
        assert.deepEqual(
          applied.rows.map((row) => row.name).sort(),
          Object.keys(migrations).sort(),
        );
        const meta = await db.selectFrom('store_meta').selectAll().orderBy('key').execute();
        assert.deepEqual(meta.map((row) => row.key), ['event_id_salt', 'revision']);
        assert.equal(Number(meta.find((row) => row.key === 'revision')?.value), 0);
      } finally {
        await Promise.all(dbs.map((db) => db.destroy()));
      }
      const store = await openStore(url);
      await store.ping();
      await store.close();
    });

    it('lets four claimers lease each of 50 due configurations exactly once', async (t) => {
      const url = await dialect.createDatabase();
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(url, { poolSize: 2 })));
      t.after(() => Promise.all(stores.map((store) => store.close())));
      const [first] = stores;
      assert.ok(first);
      for (let i = 0; i < 50; i++) await first.createConfig(configInput({ repository: `repo-${i}` }), at(i));
      const claimedBy = await Promise.all(
        stores.map(async (store, n) => {
          const mine: ClaimedScan[] = [];
          for (;;) {
            const claims = await store.claimDueScans(`scanner-${n}`, at(60_000), LEASE_MS, 3);
            if (claims.length === 0) return mine;
            mine.push(...claims);
          }
        }),
      );
      const all = claimedBy.flat();
      assert.equal(all.length, 50);
      assert.equal(new Set(all.map((claim) => claim.config.id)).size, 50);
      assert.equal(new Set(all.map((claim) => claim.runId)).size, 50);
      for (const claim of all) assert.equal((await first.getRun(claim.runId))?.outcome, 'RUNNING');
      t.diagnostic(`claims per claimer: ${claimedBy.map((ids) => ids.length).join(', ')}`);
      for (const config of await first.listConfigs()) assert.equal(config.status, 'SCANNING');
    });
  });
}
