import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { execute } from '../src/cli/cli.js';
import { buildApp } from '../src/http/app.js';
import { sha256Of } from '../src/http/tokens.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import type { PrioritisationSource } from '../src/prioritisation/prioritisation-import.js';
import { createAdvisoryControl } from '../src/scanners/builtin/osv/advisory-control.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { databases } from './support/databases.js';
import { createFakeClock, type FakeClock } from './support/fake-clock.js';

/** GET /advisories, POST /advisories/import and the freshness checks, over a real store and importer. */

const dialects = await databases();

function record(id: string, ecosystem: string, name: string, modified: string): string {
  return JSON.stringify({
    schema_version: '1.6.0',
    id,
    modified,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }],
  });
}

interface Harness {
  app: FastifyInstance;
  clock: FakeClock;
  store: Store;
}

describe('advisories API', () => {
  let dir: string;
  let records: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-advisories-api-'));
    records = join(dir, 'records');
    await (await import('node:fs/promises')).mkdir(records);
    await writeFile(join(records, 'DEBIAN-CVE-2026-1.json'), record('DEBIAN-CVE-2026-1', 'Debian:12', 'zlib', '2026-11-01T00:00:00Z'));
    await writeFile(join(records, 'DEBIAN-CVE-2026-2.json'), record('DEBIAN-CVE-2026-2', 'Debian:12', 'glibc', '2026-11-20T00:00:00Z'));
    await writeFile(join(records, 'GHSA-aaaa-bbbb-cccc.json'), record('GHSA-aaaa-bbbb-cccc', 'npm', 'left-pad', '2026-11-05T00:00:00Z'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const dialect of dialects) {
    describe(dialect.name, () => {
      async function harness(
        t: { after(fn: () => Promise<void>): void },
        sources: string[],
        readyRequiresFreshAdvisories = false,
        prioritisation: PrioritisationSource[] = [],
      ): Promise<Harness> {
        const { store, db } = await openDatabase(await dialect.createDatabase());
        const clock = createFakeClock(new Date('2026-12-01T00:00:00Z'));
        const advisories = createAdvisoryControl({ db, sources, prioritisation, maxAgeMs: 48 * 3_600_000, clock, dataDir: dir });
        const app = await buildApp({
          store,
          config: { schedule: '24h', apiToken: null, readyRequiresFreshAdvisories },
          logger: createLogger('silent'),
          metrics: createMetrics(),
          clock,
          advisories,
        });
        t.after(async () => {
          await app.close();
          await store.close();
        });
        return { app, clock, store };
      }

      it('shows the KEV, EPSS and NVD sources beside the OSV ones, and imports them on request', async (t) => {
        const fixtures = new URL('./fixtures/prioritisation/', import.meta.url);
        const prioritisation: PrioritisationSource[] = [
          { kind: 'kev', location: fileURLToPath(new URL('known_exploited_vulnerabilities.json', fixtures)) },
          { kind: 'epss', location: fileURLToPath(new URL('epss_scores-2026-03-28.excerpt.csv.gz', fixtures)) },
          { kind: 'nvd', location: join(dir, 'no-such-nvd.json') },
        ];
        const { app, clock } = await harness(t, [], true, prioritisation);
        const before = (await app.inject({ method: 'GET', url: '/advisories' })).json();
        assert.deepEqual(before.enrichment.map((source: { kind: string; lastImport: string | null; stale: boolean }) => [source.kind, source.lastImport, source.stale]), [
          ['kev', null, true],
          ['epss', null, true],
          ['nvd', null, true],
        ]);
        assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503, 'a prioritisation source never imported is stale');
        const imported = await app.inject({ method: 'POST', url: '/advisories/import' });
        assert.equal(imported.statusCode, 200);
        assert.deepEqual(
          imported.json().enrichment.map((outcome: { kind: string; ok: boolean; records?: number }) => [outcome.kind, outcome.ok, outcome.records ?? null]),
          [
            ['kev', true, 4],
            ['epss', true, 4],
            ['nvd', false, null],
          ],
        );
        clock.advance(60_000);
        const after = (await app.inject({ method: 'GET', url: '/advisories' })).json();
        const [kev, epss, nvd] = after.enrichment;
        assert.deepEqual([kev.records, kev.dataVersion, kev.lastError, kev.ageSeconds, kev.stale], [4, '2026.06.15', null, 60, false]);
        assert.deepEqual([epss.records, epss.dataVersion], [4, 'v2025.03.14 2026-03-28']);
        assert.match(nvd.lastError, /no-such-nvd\.json cannot be read/);
        assert.equal(nvd.stale, true);
        const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(metrics, /ecrscan_advisory_data_age_seconds\{source="[^"]*known_exploited_vulnerabilities\.json"\} 60/);
      });

      it('imports on request and tells what each source holds and how current it is', async (t) => {
        const missing = join(dir, 'no-such-dir');
        const { app, clock } = await harness(t, [records, missing], true);
        const empty = (await app.inject({ method: 'GET', url: '/advisories' })).json();
        assert.deepEqual(
          empty.sources.map((source: { source: string; lastImport: string | null; stale: boolean }) => [source.source, source.lastImport, source.stale]),
          [[missing, null, true], [records, null, true]],
        );
        assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503, 'never imported is stale');
        assert.deepEqual((await app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json' } })).json().warnings, [
          `advisory source ${missing} has never been imported: built-in scan results may miss vulnerabilities`,
          `advisory source ${records} has never been imported: built-in scan results may miss vulnerabilities`,
        ]);

        const imported = await app.inject({ method: 'POST', url: '/advisories/import' });
        assert.equal(imported.statusCode, 200);
        const outcomes = imported.json().sources;
        assert.deepEqual(outcomes.find((outcome: { source: string }) => outcome.source === records), {
          source: records,
          ok: true,
          read: 3,
          imported: 3,
          unchanged: 0,
          withdrawn: 0,
          invalid: 0,
          notModified: false,
        });
        const failed = outcomes.find((outcome: { source: string }) => outcome.source === missing);
        assert.equal(failed.ok, false);
        assert.match(failed.error, /cannot be read/);

        const status = (await app.inject({ method: 'GET', url: '/advisories' })).json();
        const good = status.sources.find((source: { source: string }) => source.source === records);
        assert.deepEqual(good, {
          source: records,
          lastImport: '2026-12-01T00:00:00.000Z',
          lastAttempt: '2026-12-01T00:00:00.000Z',
          lastError: null,
          ecosystems: { 'Debian:12': 2, npm: 1 },
          withdrawn: 0,
          newestModified: '2026-11-20T00:00:00.000Z',
          ageSeconds: 0,
          stale: false,
        });
        const bad = status.sources.find((source: { source: string }) => source.source === missing);
        assert.equal(bad.lastImport, null);
        assert.equal(bad.lastAttempt, '2026-12-01T00:00:00.000Z');
        assert.match(bad.lastError, /cannot be read/);
        assert.equal(status.pendingChanges, 1, 'the import is queued for re-matching');
        assert.equal(status.maxAgeSeconds, 48 * 3600);

        clock.advance(61_000);
        const fresh = await app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json' } });
        assert.deepEqual(fresh.json().warnings, [`advisory source ${missing} has never been imported: built-in scan results may miss vulnerabilities`]);
        clock.advance(49 * 3_600_000 - 61_000);
        const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(metrics, new RegExp(`ecrscan_advisory_data_age_seconds\\{source="${records.replaceAll('/', '\\/')}"\\} ${49 * 3600}`));
        const later = (await app.inject({ method: 'GET', url: '/advisories' })).json();
        assert.equal(later.sources.find((source: { source: string }) => source.source === records).stale, true);
        const summary = await app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json', 'if-none-match': fresh.headers.etag as string } });
        assert.equal(summary.statusCode, 200, 'a new warning is a new representation');
        assert.ok(summary.json().warnings.includes(`advisory data of ${records} is 49 h old (ECRSCAN_ADVISORY_MAX_AGE): built-in scan results may miss recent vulnerabilities`));
        const text = (await app.inject({ method: 'GET', url: '/summary?format=text' })).body;
        assert.match(text, new RegExp(`^WARNING: advisory source ${missing} has never been imported`, 'm'));
        const ready = await app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ready.statusCode, 503);
        assert.match(ready.json().detail, /advisory data is stale/);
      });

      it('warns on each image of a built-in configuration while advisory data is stale', async (t) => {
        const { app, clock, store } = await harness(t, [records]);
        const scanned = async (registry: string, region: string | null, scanner: 'builtin' | 'ecr'): Promise<string> => {
          const config = await store.createConfig({ region, registry, repository: 'acme/app', tags: null, schedule: null, scanner, platform: null }, clock.now());
          const [claim] = await store.claimDueScans('test', clock.now(), 60_000, 1);
          assert.equal(claim?.config.id, config.id);
          const images = [{ tag: 'v1', digest: `sha256:${'a'.repeat(64)}`, status: 'COMPLETE' as const, error: null, scanner, findings: [] }];
          await store.commitScan({ configId: config.id, runId: claim.runId, owner: 'test', finishedAt: clock.now(), images, status: 'COMPLETE', error: null, nextScanAt: new Date('2036-01-01T00:00:00Z') });
          return config.id;
        };
        const builtin = await scanned('ghcr.io', null, 'builtin');
        const ecr = await scanned('123456789012', 'us-west-2', 'ecr');
        const imagesOf = async (id: string) => (await app.inject({ method: 'GET', url: `/configs/${id}` })).json().images as Array<{ tag: string; warnings?: string[] }>;
        const never = `advisory source ${records} has never been imported: built-in scan results may miss vulnerabilities`;
        assert.deepEqual((await imagesOf(builtin)).map((image) => image.warnings), [[never]]);
        assert.deepEqual((await imagesOf(ecr)).map((image) => image.warnings), [undefined], 'ECR results do not come from this data');
        const listed = (await app.inject({ method: 'GET', url: '/configs' })).json() as Array<{ id: string; images: Array<{ warnings?: string[] }> }>;
        assert.deepEqual(listed.find((config) => config.id === builtin)?.images[0]?.warnings, [never]);

        assert.equal((await app.inject({ method: 'POST', url: '/advisories/import' })).statusCode, 200);
        clock.advance(61_000);
        assert.deepEqual((await imagesOf(builtin)).map((image) => image.warnings), [undefined], 'fresh data, no warning');
        clock.advance(49 * 3_600_000);
        assert.deepEqual((await imagesOf(builtin)).map((image) => image.warnings), [
          [`advisory data of ${records} is 49 h old (ECRSCAN_ADVISORY_MAX_AGE): built-in scan results may miss recent vulnerabilities`],
        ]);
      });

      it('imports a source straight into the database from the command line', async () => {
        const url = await dialect.createDatabase();
        const env = { DATABASE_URL: url };
        const first = await execute(['advisories', 'import', records], env);
        assert.deepEqual(first, { code: 0, stdout: `${records}: 3 imported (0 withdrawn), 0 unchanged, 0 invalid\n`, stderr: '' });
        const again = await execute(['advisories', 'import', records, '--json'], env);
        assert.equal(again.code, 0);
        assert.deepEqual(JSON.parse(again.stdout), { sources: [{ source: records, ok: true, imported: 0, unchanged: 3, withdrawn: 0, invalid: 0, notModified: false }] });
        const { store, db } = await openDatabase(url);
        try {
          const changes = await db.selectFrom('advisory_changes').select(['advisories', 'done_at']).execute();
          assert.equal(changes.length, 1, 'one batch, queued for the services to re-match');
          const recorded = JSON.parse(changes[0]?.advisories ?? '') as { added: string[]; changed: string[]; withdrawn: string[] };
          assert.deepEqual({ ...recorded, added: recorded.added.sort() }, { added: ['DEBIAN-CVE-2026-1', 'DEBIAN-CVE-2026-2', 'GHSA-aaaa-bbbb-cccc'], changed: [], withdrawn: [] });
          assert.equal(changes[0]?.done_at, null);
        } finally {
          await store.close();
        }
        const missing = await execute(['advisories', 'import', join(dir, 'no-such-dir')], env);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /^ecrscan: import of .*no-such-dir failed: .*cannot be read.*\n$/);
        const usage = await execute(['advisories', 'import', records, records], env);
        assert.equal(usage.code, 2);
      });

      it('imports on request of an administrator only', async (t) => {
        const { store, db } = await openDatabase(await dialect.createDatabase());
        t.after(() => store.close());
        const clock = createFakeClock(new Date('2026-12-01T00:00:00Z'));
        const advisories = createAdvisoryControl({ db, sources: [records], maxAgeMs: 48 * 3_600_000, clock, dataDir: dir });
        const token = (name: string, role: 'read' | 'write' | 'admin') => ({ name, role, sha256: sha256Of(`${name}-token-0123456789`) });
        const app = await buildApp({
          store,
          config: { schedule: '24h', apiToken: null },
          tokens: [token('writer', 'write'), token('admin', 'admin')],
          logger: createLogger('silent'),
          metrics: createMetrics(),
          clock,
          advisories,
        });
        t.after(() => app.close());
        const asWriter = await app.inject({ method: 'POST', url: '/advisories/import', headers: { authorization: 'Bearer writer-token-0123456789' } });
        assert.equal(asWriter.statusCode, 403);
        assert.equal((await app.inject({ method: 'GET', url: '/advisories', headers: { authorization: 'Bearer writer-token-0123456789' } })).statusCode, 200);
        assert.equal((await db.selectFrom('osv_advisories').select('id').execute()).length, 0, 'a refused import changes nothing');
        const asAdmin = await app.inject({ method: 'POST', url: '/advisories/import', headers: { authorization: 'Bearer admin-token-0123456789' } });
        assert.equal(asAdmin.statusCode, 200);
        assert.equal((await db.selectFrom('osv_advisories').select('id').execute()).length, 3);
      });

      it('refuses an import without configured sources, and stays ready unless told otherwise', async (t) => {
        const { app } = await harness(t, []);
        const refused = await app.inject({ method: 'POST', url: '/advisories/import' });
        assert.equal(refused.statusCode, 409);
        assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.equal(refused.json().type, 'urn:ecrscan:problem:no-advisory-sources');
        assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
        assert.equal((await app.inject({ method: 'GET', url: '/summary', headers: { accept: 'application/json' } })).json().warnings, undefined, 'no sources, no advisory warning');
      });
    });
  }
});
