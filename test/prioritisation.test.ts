import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Kysely, Migrator, sql } from 'kysely';
import type { Finding } from '../src/domain/finding.js';
import { type PrioritisationSource, importPrioritisationSources } from '../src/prioritisation/prioritisation-import.js';
import { migrations } from '../src/store/migrations/index.js';
import { isPostgresUrl, openDatabase } from '../src/store/open-store.js';
import { openPostgres } from '../src/store/postgres/open-postgres.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import type { FindingsQuery, Store } from '../src/store/store.js';
import type { Database } from '../src/store/tables.js';
import { databases } from './support/databases.js';
import { startHttpServer } from './support/http-server.js';

/**
 * KEV, EPSS and NVD data imported from the published documents (test/fixtures/prioritisation)
 * and joined to stored findings by CVE: the findings' new fields, the filters and the risk
 * order, the summary counts, the events, and the no-op re-import.
 */

const FIXTURES = new URL('./fixtures/prioritisation/', import.meta.url);
const T0 = new Date('2026-06-16T10:00:00Z');
const dialects = await databases();

function finding(name: string, fields: Partial<Finding>): Finding {
  return { name, severity: 'UNDEFINED', package: 'pkg', version: '1', fixedVersion: null, uri: null, description: null, cvss: null, aliases: [], path: null, ...fields };
}

const FINDINGS: Finding[] = [
  // Debian's OSV records carry no severity: NVD's stands in.
  finding('CVE-2021-44228', { package: 'liblog4j2-java', fixedVersion: '2.17.1-1' }),
  finding('DEBIAN-CVE-2022-0492', { package: 'linux' }),
  // The advisory's own severity wins over NVD's.
  finding('GHSA-hm9q-67ch-hc3f', { package: 'musl', severity: 'MEDIUM', cvss: { score: 5.5, vector: null }, aliases: ['CVE-2025-26519'] }),
  finding('CVE-1999-0001', { package: 'old', severity: 'LOW', fixedVersion: '2' }),
];

const QUERY: FindingsQuery = { limit: 100, after: null, severities: null, status: 'ACTIVE' };

for (const dialect of dialects) {
  describe(`prioritisation data (${dialect.name})`, () => {
    let store: Store;
    let db: Kysely<Database>;
    let dir: string;
    let configId: string;
    let clock = T0.getTime();
    const now = () => clock;
    let sources: PrioritisationSource[];
    const changedEvents = async () =>
      (await store.listEvents({ configIds: [configId], types: ['finding.changed'], severities: null, afterSeq: null, limit: 100, order: 'asc' })).events;

    before(async () => {
      ({ store, db } = await openDatabase(await dialect.createDatabase()));
      dir = await mkdtemp(join(tmpdir(), 'prioritisation-'));
      for (const name of ['known_exploited_vulnerabilities.json', 'epss_scores-2026-03-28.excerpt.csv.gz', 'nvd-cves-2.0.json', 'CVE-2025-26519.json']) {
        await copyFile(new URL(name, FIXTURES), join(dir, name));
      }
      sources = [
        { kind: 'kev', location: join(dir, 'known_exploited_vulnerabilities.json') },
        { kind: 'epss', location: join(dir, 'epss_scores-2026-03-28.excerpt.csv.gz') },
        { kind: 'nvd', location: join(dir, 'nvd-cves-2.0.json') },
        { kind: 'nvd', location: join(dir, 'CVE-2025-26519.json') },
      ];
      const config = await store.createConfig({ region: null, registry: 'registry.example', repository: 'team/app', tags: ['1'], schedule: null, scanner: 'builtin', platform: null }, T0);
      configId = config.id;
      const [claim] = await store.claimDueScans('owner', T0, 60_000, 1);
      assert.ok(claim);
      const committed = await store.commitScan({
        configId,
        runId: claim.runId,
        owner: 'owner',
        finishedAt: T0,
        images: [{ tag: '1', digest: `sha256:${'a'.repeat(64)}`, status: 'COMPLETE', error: null, scanner: 'builtin@1', findings: FINDINGS }],
        status: 'COMPLETE',
        error: null,
        nextScanAt: new Date(T0.getTime() + 86_400_000),
      });
      assert.equal(committed, true);
    });

    after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('imports the published documents, and leaves findings as they were until then', async () => {
      const before = await store.listFindings(configId, QUERY);
      assert.ok(before.findings.every((f) => f.kev === null && f.epss === null && f.severitySource === 'advisory'));
      const summary = (await store.summary())[0]?.images[0];
      assert.deepEqual(summary?.counts, { MEDIUM: 1, LOW: 1, UNDEFINED: 2 });
      assert.deepEqual([summary?.kev, summary?.fixable], [0, 2]);

      clock += 1000;
      const outcomes = await importPrioritisationSources(db, sources, { now });
      assert.deepEqual(
        outcomes.map((outcome) => (outcome.ok ? [outcome.kind, outcome.records, outcome.notModified] : [outcome.kind, outcome.error])),
        [
          ['kev', 4, false],
          ['epss', 4, false],
          ['nvd', 2, false],
          ['nvd', 1, false],
        ],
      );
    });

    it('joins KEV, EPSS and NVD to findings by CVE, the advisory\'s own severity winning', async () => {
      const byName = new Map((await store.listFindings(configId, QUERY)).findings.map((f) => [f.name, f]));
      const log4j = byName.get('CVE-2021-44228');
      assert.deepEqual([log4j?.severity, log4j?.severitySource, log4j?.cvss], ['CRITICAL', 'nvd', { score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }]);
      assert.deepEqual(log4j?.epss, { score: 0.94358, percentile: 0.9996, date: '2026-03-28' });
      assert.equal(log4j?.kev, null);
      const kernel = byName.get('DEBIAN-CVE-2022-0492');
      assert.deepEqual(kernel?.kev, { dateAdded: '2026-06-02', dueDate: '2026-06-05', knownRansomwareCampaignUse: 'Unknown' });
      assert.deepEqual([kernel?.severity, kernel?.severitySource], ['HIGH', 'nvd']);
      const musl = byName.get('GHSA-hm9q-67ch-hc3f');
      assert.deepEqual([musl?.severity, musl?.severitySource, musl?.cvss], ['MEDIUM', 'advisory', { score: 5.5, vector: null }]);
      assert.equal(byName.get('CVE-1999-0001')?.epss?.score, 0.01025);
    });

    it('recounts the summary with the severities NVD gives, and counts KEV and fixable findings', async () => {
      const image = (await store.summary())[0]?.images[0];
      assert.deepEqual(image?.counts, { CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1 });
      assert.deepEqual([image?.kev, image?.fixable], [1, 2]);
    });

    it('filters by KEV, fix, EPSS and effective severity', async () => {
      const names = async (query: Partial<FindingsQuery>) => (await store.listFindings(configId, { ...QUERY, ...query })).findings.map((f) => f.name).sort();
      assert.deepEqual(await names({ kev: true }), ['DEBIAN-CVE-2022-0492']);
      assert.deepEqual(await names({ fixable: true }), ['CVE-1999-0001', 'CVE-2021-44228']);
      assert.deepEqual(await names({ minEpss: 0.5 }), ['CVE-2021-44228']);
      assert.deepEqual(await names({ severities: ['CRITICAL', 'HIGH'] }), ['CVE-2021-44228', 'DEBIAN-CVE-2022-0492']);
      assert.deepEqual(await names({ severities: ['UNDEFINED'] }), []);
      assert.deepEqual(await names({ kev: true, fixable: true }), []);
    });

    it('orders by risk: KEV first, then EPSS × severity weight, then severity; pages by position', async () => {
      const first = await store.listFindings(configId, { ...QUERY, sort: 'risk', limit: 2 });
      assert.deepEqual(first.findings.map((f) => f.name), ['DEBIAN-CVE-2022-0492', 'CVE-2021-44228']);
      assert.ok(first.next);
      const second = await store.listFindings(configId, { ...QUERY, sort: 'risk', limit: 2, after: first.next });
      // 0.01025 × LOW (1) ranks above no EPSS score × MEDIUM (2).
      assert.deepEqual(second.findings.map((f) => f.name), ['CVE-1999-0001', 'GHSA-hm9q-67ch-hc3f']);
      assert.equal(second.next, null);
    });

    it('takes the first data of each kind as a baseline: counts, and no event', async () => {
      assert.deepEqual(await changedEvents(), []);
    });

    it('logs finding.changed when a later file moves a finding\'s EPSS score into another tenth', async () => {
      const epss = sources[1] as PrioritisationSource;
      const published = gunzipSync(await readFile(epss.location)).toString('utf8');
      // The next day's file: CVE-1999-0001 rises into the fourth tenth, CVE-2021-44228 moves within the top one.
      const nextDay = published.replace('score_date:2026-03-28', 'score_date:2026-03-29').replace('CVE-1999-0001,0.01025,0.77197', 'CVE-1999-0001,0.35012,0.97001').replace('CVE-2021-44228,0.94358', 'CVE-2021-44228,0.94100');
      await writeFile(epss.location, gzipSync(nextDay));
      clock += 1000;
      const [outcome] = await importPrioritisationSources(db, [epss], { now });
      assert.deepEqual(outcome?.ok ? [outcome.records, outcome.events] : outcome, [4, 1]);
      const [event] = await changedEvents();
      assert.equal(event?.detail.finding?.name, 'CVE-1999-0001');
      assert.deepEqual(event?.detail.finding?.epss, { score: 0.35012, percentile: 0.97001, date: '2026-03-29' });
      assert.deepEqual(event?.detail.previous?.epss, { score: 0.01025, percentile: 0.77197, date: '2026-03-28' });
      assert.equal(event?.severity, 'LOW');
      assert.ok(event?.runId, 'an import\'s events of one configuration share a run id, so webhooks send one message');
    });

    it('logs finding.changed and recounts when NVD re-scores a CVE whose advisory has no severity', async () => {
      const nvd = sources[2] as PrioritisationSource;
      const answer = JSON.parse(await readFile(nvd.location, 'utf8')) as { vulnerabilities: Array<{ cve: { id: string; lastModified: string; metrics: { cvssMetricV31: Array<{ cvssData: { baseScore: number; vectorString: string } }> } } }> };
      const kernel = answer.vulnerabilities.find((item) => item.cve.id === 'CVE-2022-0492')?.cve;
      assert.ok(kernel);
      // A later analysis of the record, with another score.
      kernel.lastModified = '2026-06-20T10:00:00.000';
      const metric = kernel.metrics.cvssMetricV31[0];
      assert.ok(metric);
      metric.cvssData = { ...metric.cvssData, baseScore: 9.1, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' };
      await writeFile(nvd.location, JSON.stringify(answer));
      clock += 1000;
      const [outcome] = await importPrioritisationSources(db, [nvd], { now });
      assert.deepEqual(outcome?.ok ? [outcome.records, outcome.events] : outcome, [1, 1]);
      const [event] = (await changedEvents()).slice(-1);
      assert.deepEqual([event?.detail.finding?.name, event?.severity, event?.detail.previous?.severity], ['DEBIAN-CVE-2022-0492', 'CRITICAL', 'HIGH']);
      assert.deepEqual(event?.detail.previous?.cvss, { score: 7.8, vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' });
      assert.equal(event?.detail.finding?.severitySource, 'nvd');
      assert.deepEqual((await store.summary())[0]?.images[0]?.counts, { CRITICAL: 2, MEDIUM: 1, LOW: 1 });
    });

    it('logs a new finding with the severity it shows: NVD\'s where its advisory has none', async () => {
      const at = new Date(T0.getTime() + 86_400_000);
      const [claim] = await store.claimDueScans('owner', at, 60_000, 1);
      assert.ok(claim);
      const rescanned = [...FINDINGS, finding('DEBIAN-CVE-2021-44228', { package: 'apache-log4j2' })];
      assert.equal(
        await store.commitScan({
          configId,
          runId: claim.runId,
          owner: 'owner',
          finishedAt: at,
          images: [{ tag: '1', digest: `sha256:${'a'.repeat(64)}`, status: 'COMPLETE', error: null, scanner: 'builtin@1', findings: rescanned }],
          status: 'COMPLETE',
          error: null,
          nextScanAt: new Date(at.getTime() + 86_400_000),
        }),
        true,
      );
      const { events } = await store.listEvents({ configIds: [configId], types: ['finding.new'], severities: ['CRITICAL'], afterSeq: null, limit: 10, order: 'asc' });
      assert.deepEqual(events.map((event) => [event.detail.finding?.name, event.severity]), [['DEBIAN-CVE-2021-44228', 'CRITICAL']]);
      // With the kernel CVE NVD re-scored to CRITICAL before.
      assert.equal((await store.summary())[0]?.images[0]?.counts.CRITICAL, 3);
    });

    it('re-imports unchanged files as a no-op, recognised by their checksum', async () => {
      const revision = await store.revision();
      clock += 1000;
      const outcomes = await importPrioritisationSources(db, sources, { now });
      assert.ok(outcomes.every((outcome) => outcome.ok && outcome.notModified));
      assert.equal(await store.revision(), revision);
      const rows = await db.selectFrom('enrichment_sources').select(['source', 'imported_at']).execute();
      assert.ok(rows.every((row) => Number(row.imported_at) === clock), 'an unchanged source counts as current');
    });

    it('keeps the stored data when a source breaks, and says why', async () => {
      const kev = sources[0] as PrioritisationSource;
      const good = await readFile(kev.location, 'utf8');
      await writeFile(kev.location, '<html>maintenance</html>');
      const [outcome] = await importPrioritisationSources(db, [kev], { now });
      assert.equal(outcome?.ok, false);
      assert.match(outcome?.ok === false ? outcome.error : '', /KEV catalogue is not JSON/);
      const row = await db.selectFrom('enrichment_sources').select(['error', 'records']).where('source', '=', kev.location).executeTakeFirstOrThrow();
      assert.match(row.error ?? '', /not JSON/);
      assert.equal(Number(row.records), 4);
      assert.deepEqual((await store.listFindings(configId, { ...QUERY, kev: true })).findings.map((f) => f.name), ['DEBIAN-CVE-2022-0492']);
      await writeFile(kev.location, good);
    });

    it('takes a finding off the KEV list when the catalogue drops it, and back on, in counts and events', async () => {
      const kev = sources[0] as PrioritisationSource;
      const catalogue = JSON.parse(await readFile(kev.location, 'utf8')) as { vulnerabilities: Array<{ cveID: string }> };
      catalogue.vulnerabilities = catalogue.vulnerabilities.filter((entry) => entry.cveID !== 'CVE-2022-0492');
      await writeFile(kev.location, JSON.stringify(catalogue));
      clock += 1000;
      const [outcome] = await importPrioritisationSources(db, [kev], { now });
      assert.deepEqual(outcome?.ok ? [outcome.records, outcome.events] : outcome, [3, 1]);
      assert.equal((await store.summary())[0]?.images[0]?.kev, 0);
      const dropped = (await changedEvents()).at(-1);
      assert.equal(dropped?.detail.finding?.kev, null);
      assert.equal(dropped?.detail.previous?.kev?.dateAdded, '2026-06-02');
      await copyFile(new URL('known_exploited_vulnerabilities.json', FIXTURES), kev.location);
      clock += 1000;
      await importPrioritisationSources(db, [kev], { now });
      const listed = (await changedEvents()).at(-1);
      assert.deepEqual([listed?.detail.finding?.kev?.dateAdded, listed?.detail.previous?.kev], ['2026-06-02', null]);
      assert.equal((await store.summary())[0]?.images[0]?.kev, 1);
    });

    it('filters the event log by the findings\' KEV listing, fix and EPSS score as they are now', async () => {
      const names = async (filters: { kev?: boolean; fixable?: boolean; minEpss?: number }) =>
        [...new Set((await store.listEvents({ configIds: [configId], types: null, severities: null, afterSeq: null, limit: 100, order: 'asc', ...filters })).events.map((event) => event.detail.finding?.name))].sort();
      assert.deepEqual(await names({ kev: true }), ['DEBIAN-CVE-2022-0492']);
      assert.deepEqual(await names({ fixable: true }), ['CVE-1999-0001', 'CVE-2021-44228']);
      assert.deepEqual(await names({ minEpss: 0.3 }), ['CVE-1999-0001', 'CVE-2021-44228', 'DEBIAN-CVE-2021-44228']);
      assert.deepEqual(await names({ kev: true, minEpss: 0.3 }), []);
    });

    it('asks a URL source conditionally, and takes its 304 as unchanged', async () => {
      const body = await readFile(new URL('epss_scores-2026-03-28.excerpt.csv.gz', FIXTURES));
      const server = await startHttpServer((req, res) => {
        if (req.headers['if-none-match'] === '"epss-1"') {
          res.writeHead(304).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/gzip', etag: '"epss-1"', 'last-modified': 'Sat, 28 Mar 2026 13:00:00 GMT' }).end(body);
      });
      try {
        const source: PrioritisationSource = { kind: 'epss', location: `${server.url}/epss_scores-current.csv.gz` };
        const first = await importPrioritisationSources(db, [source], { now, allowLoopbackHttp: true });
        assert.deepEqual(first.map((o) => o.ok && o.notModified), [false]);
        const second = await importPrioritisationSources(db, [source], { now, allowLoopbackHttp: true });
        assert.deepEqual(second.map((o) => o.ok && o.notModified), [true]);
        assert.equal(server.requests[1]?.headers['if-none-match'], '"epss-1"');
        assert.equal(server.requests[1]?.headers['if-modified-since'], 'Sat, 28 Mar 2026 13:00:00 GMT');
        const refused = await importPrioritisationSources(db, [source], { now });
        assert.match(refused[0]?.ok === false ? refused[0].error : '', /must use https/);
      } finally {
        await server.close();
      }
    });
  });
}

for (const dialect of dialects) {
  describe(`prioritisation migration (${dialect.name})`, () => {
    it('keys existing findings by their CVE and counts their fixes', async () => {
      const url = await dialect.createDatabase();
      const db = isPostgresUrl(url) ? openPostgres(url, { poolSize: 2, statementTimeoutMs: 0 }) : openSqlite(url);
      try {
        const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
        const migrated = await migrator.migrateTo('2026-12-09-advisory-rematch');
        assert.equal(migrated.error, undefined);
        // Rows as the previous schema stored them.
        await sql`insert into configs (id, created_at, registry, repository, scanner, status, next_scan_at, revision)
                  values ('c1', 0, 'registry.example', 'team/app', 'builtin', 'COMPLETE', 0, 1)`.execute(db);
        await sql`insert into images (config_id, tag, status, critical, high, medium, low, informational, undefined)
                  values ('c1', '1', 'COMPLETE', 0, 0, 0, 0, 0, 3)`.execute(db);
        const image = await sql<{ id: number }>`select id from images`.execute(db);
        const imageId = Number(image.rows[0]?.id);
        for (const [name, aliases, fixed] of [
          ['CVE-2021-44228', '[]', '2.17.1-1'],
          ['DEBIAN-CVE-2022-0492', '[]', null],
          ['GHSA-hm9q-67ch-hc3f', '["CVE-2025-26519"]', '1.2.6'],
          ['DSA-5000-1', '[]', null],
        ] as const) {
          await sql`insert into findings (image_id, config_id, name, package, severity, aliases, first_seen, last_seen, seen_run, fixed_version)
                    values (${imageId}, 'c1', ${name}, 'pkg', 'UNDEFINED', ${aliases}, 0, 0, 'r1', ${fixed})`.execute(db);
        }
        const latest = await migrator.migrateToLatest();
        assert.equal(latest.error, undefined);
        const rows = await db.selectFrom('findings').select(['name', 'cve']).orderBy('id').execute();
        assert.deepEqual(
          rows.map((row) => [row.name, row.cve]),
          [
            ['CVE-2021-44228', 'CVE-2021-44228'],
            ['DEBIAN-CVE-2022-0492', 'CVE-2022-0492'],
            ['GHSA-hm9q-67ch-hc3f', 'CVE-2025-26519'],
            ['DSA-5000-1', null],
          ],
        );
        const counts = await db.selectFrom('images').select(['kev', 'fixable']).executeTakeFirstOrThrow();
        assert.deepEqual([Number(counts.kev), Number(counts.fixable)], [0, 2]);
      } finally {
        await db.destroy();
      }
    });
  });
}
