import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { InstalledPackage, Inventory } from '../src/scanners/builtin/inventory.js';
import { countAdvisories, createAdvisoryLookup } from '../src/scanners/builtin/osv/advisory-store.js';
import { matchInventory } from '../src/scanners/builtin/osv/matcher.js';
import { importOsvSource, importOsvSources, OsvSourceError, parseOsvSources } from '../src/scanners/builtin/osv/osv-importer.js';
import { startOsvRefresh } from '../src/scanners/builtin/osv/osv-refresh.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import type { Database } from '../src/store/tables.js';
import { buildZip, type ZipInput } from './support/zip-writer.js';

const FIXTURES = new URL('./fixtures/osv/', import.meta.url);
const FIXTURE_FILES = [
  'ALPINE-CVE-2025-26519.json',
  'DLA-3008-1.json',
  'DLA-3012-1.json',
  'DLA-3051-1.json',
  'DSA-1543-1.json',
  'GHSA-whgm-jr23-g3j9.json',
  'PYSEC-2021-63.json',
  'USN-8697-1.json',
];

// Constructed for these tests (see test/fixtures/osv/README.md): Debian's record for the CVE
// that DLA-3008-1 fixes, and one for the CVE of GHSA-whgm-jr23-g3j9 without a rating of its own.
const DEBIAN_CVE_2022_1292 = {
  id: 'DEBIAN-CVE-2022-1292',
  modified: '2025-01-01T00:00:00Z',
  upstream: ['CVE-2022-1292'],
  details: 'The c_rehash script does not properly sanitise shell metacharacters to prevent command injection.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { ecosystem: 'Debian:9', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0l-1~deb9u6' }] }] }],
};
const DEBIAN_CVE_2021_23424 = {
  id: 'DEBIAN-CVE-2021-23424',
  modified: '2025-01-01T00:00:00Z',
  upstream: ['CVE-2021-23424'],
  affected: [{ package: { ecosystem: 'Debian:12', name: 'node-ansi-html' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
};

async function fixtureText(name: string): Promise<string> {
  return readFile(new URL(name, FIXTURES), 'utf8');
}

async function fixtureZipInputs(): Promise<ZipInput[]> {
  // The layout of osv.dev's all.zip: one record per file at the top level.
  return Promise.all(FIXTURE_FILES.map(async (name) => ({ name, data: await fixtureText(name) })));
}

function pkg(ecosystem: string, name: string, version: string, sourceName: string | null = null): InstalledPackage {
  return { ecosystem, name, version, sourceName, sourceVersion: null, path: '/var/lib/dpkg/status' };
}

async function downloadsLeft(): Promise<string[]> {
  return readdir(join(work, 'osv-downloads')).catch(() => []);
}

function inventory(...packages: InstalledPackage[]): Inventory {
  return { os: null, packages, analysers: {}, unsupported: [], unsettled: [], advisoryGaps: [] };
}

let work: string;
let db: Kysely<Database>;

async function freshDatabase(): Promise<void> {
  await db?.destroy();
  db = openSqlite(':memory:');
  await migrateToLatest(db);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'osv-import-'));
});

after(async () => {
  await db?.destroy();
  await rm(work, { recursive: true, force: true });
});

beforeEach(freshDatabase);

describe('importing a directory of OSV records', () => {
  let dir: string;

  before(async () => {
    dir = join(work, 'dir');
    await mkdir(join(dir, 'Debian'), { recursive: true });
    await mkdir(join(dir, 'Alpine'), { recursive: true });
    for (const name of FIXTURE_FILES) {
      const into = name.startsWith('D') ? 'Debian' : name.startsWith('ALPINE') ? 'Alpine' : '';
      await copyFile(new URL(name, FIXTURES), join(dir, into, name));
    }
    await writeFile(join(dir, 'Debian', 'DEBIAN-CVE-2022-1292.json'), JSON.stringify(DEBIAN_CVE_2022_1292));
    await writeFile(join(dir, 'broken.json'), '{"id": "DSA-0000-1", "summary": "truncated"');
    await writeFile(join(dir, 'no-modified.json'), JSON.stringify({ id: 'DSA-3029-1', summary: 'nginx - security update' }));
    await writeFile(join(dir, 'README.md'), 'not a record');
  });

  it('imports every valid record, counts the withdrawn and skips the malformed with a reason', async () => {
    const report = await importOsvSource(db, dir, { dataDir: work });
    assert.equal(report.read, 11);
    assert.equal(report.imported, 9);
    assert.equal(report.withdrawn, 1);
    assert.equal(report.invalid, 2);
    assert.deepEqual(
      report.rejected.map((rejected) => rejected.entry).sort(),
      ['broken.json', 'no-modified.json'],
    );
    assert.match(report.rejected.find((rejected) => rejected.entry === 'broken.json')?.reason ?? '', /^not JSON/);
    assert.match(report.rejected.find((rejected) => rejected.entry === 'no-modified.json')?.reason ?? '', /required properties modified/);
    assert.deepEqual(await countAdvisories(db), { total: 9, withdrawn: 1 });
  });

  it('re-imports incrementally: unchanged records are skipped, a newer copy replaces the old, an older one does not', async () => {
    await importOsvSource(db, dir, { dataDir: work });
    const again = await importOsvSource(db, dir, { dataDir: work });
    assert.equal(again.imported, 0);
    assert.equal(again.unchanged, 9);

    const newer = join(work, 'newer');
    await mkdir(newer, { recursive: true });
    const dla = JSON.parse(await fixtureText('DLA-3012-1.json')) as Record<string, unknown>;
    await writeFile(join(newer, 'DLA-3012-1.json'), JSON.stringify({ ...dla, modified: '2027-01-01T00:00:00Z', summary: 'libxml2 - security update (revised)' }));
    await writeFile(join(newer, 'DLA-3008-1.json'), JSON.stringify({ ...JSON.parse(await fixtureText('DLA-3008-1.json')), modified: '2020-01-01T00:00:00Z', summary: 'stale' }));
    const update = await importOsvSource(db, newer, { dataDir: work });
    assert.deepEqual([update.imported, update.unchanged], [1, 1]);

    const findings = await matchInventory(
      inventory(pkg('Debian:9', 'libxml2', '2.9.4+dfsg1-2.2+deb9u6'), pkg('Debian:9', 'libssl1.1', '1.1.0h-4', 'openssl')),
      createAdvisoryLookup(db),
    );
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.description]),
      [
        ['CVE-2022-1292', 'The c_rehash script does not properly sanitise shell metacharacters to prevent command injection.'],
        ['CVE-2022-29824', 'libxml2 - security update (revised)'],
      ],
    );
  });

  it('matches through the store: one finding per CVE per package, rated from the CVE record', async () => {
    await importOsvSource(db, dir, { dataDir: work });
    const findings = await matchInventory(
      inventory(pkg('Debian:9', 'libssl1.1', '1.1.0l-1~deb9u5', 'openssl'), pkg('Debian:9', 'openssl', '1.1.0l-1~deb9u5'), pkg('Debian:10', 'libssl1.1', '1.1.0l-1~deb9u5', 'openssl')),
      createAdvisoryLookup(db),
    );
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.package, finding.severity, finding.fixedVersion, finding.aliases.join(' ')]),
      [
        ['CVE-2022-1292', 'libssl1.1', 'CRITICAL', '1.1.0l-1~deb9u6', 'DEBIAN-CVE-2022-1292 DLA-3008-1'],
        ['CVE-2022-1292', 'openssl', 'CRITICAL', '1.1.0l-1~deb9u6', 'DEBIAN-CVE-2022-1292 DLA-3008-1'],
      ],
      'the Debian:10 package is not matched by Debian:9 records',
    );
  });
});

describe('withdrawn records', () => {
  it('a record withdrawn by a later copy stops matching', async () => {
    const dir = join(work, 'withdrawn');
    await mkdir(dir, { recursive: true });
    const live = { ...JSON.parse(await fixtureText('PYSEC-2021-63.json')), modified: '2021-02-08T00:00:00Z' } as Record<string, unknown>;
    delete live.withdrawn;
    await writeFile(join(dir, 'PYSEC-2021-63.json'), JSON.stringify(live));
    await importOsvSource(db, dir, { dataDir: work });
    const installed = inventory(pkg('PyPI', 'cryptography', '3.2'));
    assert.deepEqual(
      (await matchInventory(installed, createAdvisoryLookup(db))).map((finding) => finding.name),
      ['CVE-2020-36242'],
    );

    await copyFile(new URL('PYSEC-2021-63.json', FIXTURES), join(dir, 'PYSEC-2021-63.json'));
    const report = await importOsvSource(db, dir, { dataDir: work });
    assert.deepEqual([report.imported, report.withdrawn], [1, 1]);
    assert.deepEqual(await matchInventory(installed, createAdvisoryLookup(db)), []);
  });
});

describe('importing a zip', () => {
  let zipPath: string;

  before(async () => {
    zipPath = join(work, 'all.zip');
    await writeFile(zipPath, buildZip([...(await fixtureZipInputs()), { name: 'DEBIAN-CVE-2021-23424.json', data: JSON.stringify(DEBIAN_CVE_2021_23424) }]));
  });

  it('is a zip that a standard tool reads too', (t) => {
    try {
      execFileSync('unzip', ['-tq', zipPath], { stdio: 'pipe' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('unzip is not installed');
      throw error;
    }
  });

  it('imports its records and skips an unchanged zip without reading it', async () => {
    const first = await importOsvSource(db, zipPath, { dataDir: work });
    assert.deepEqual([first.read, first.imported, first.withdrawn, first.invalid, first.notModified], [9, 9, 1, 0, false]);
    const second = await importOsvSource(db, zipPath, { dataDir: work });
    assert.deepEqual([second.read, second.notModified], [0, true]);
    await utimes(zipPath, new Date(), new Date(Date.now() + 5000));
    const touched = await importOsvSource(db, zipPath, { dataDir: work });
    assert.deepEqual([touched.read, touched.imported, touched.unchanged], [9, 0, 9]);
  });

  it('rates a finding from the GitHub advisory its CVE id points at', async () => {
    await importOsvSource(db, zipPath, { dataDir: work });
    const [finding] = await matchInventory(inventory(pkg('Debian:12', 'node-ansi-html', '0.0.7-3')), createAdvisoryLookup(db));
    assert.equal(finding?.name, 'CVE-2021-23424');
    assert.equal(finding?.severity, 'HIGH');
    assert.deepEqual(finding?.cvss, { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' });
  });

  it('rates an Alpine finding from its own CVSS vector', async () => {
    await importOsvSource(db, zipPath, { dataDir: work });
    const findings = await matchInventory(inventory(pkg('Alpine:v3.19', 'musl', '1.2.4_git20230717-r4')), createAdvisoryLookup(db));
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.severity, finding.cvss?.score, finding.fixedVersion]),
      [['CVE-2025-26519', 'HIGH', 7, '1.2.4_git20230717-r5']],
    );
  });

  it('refuses records above the size cap, one by one', async () => {
    const report = await importOsvSource(db, zipPath, { dataDir: work, maxRecordBytes: 2000 });
    assert.equal(report.invalid, 3);
    assert.ok(report.rejected.every((rejected) => rejected.reason === 'larger than 2000 bytes'));
    assert.equal(report.imported, 6);
  });

  it('reports a corrupt zip as a failure of that source only', async () => {
    const corrupt = join(work, 'corrupt.zip');
    await writeFile(corrupt, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(64, 7)]));
    const outcomes = await importOsvSources(db, [corrupt, zipPath, join(work, 'missing')], { dataDir: work });
    assert.deepEqual(
      outcomes.map((outcome) => outcome.ok),
      [false, true, false],
    );
    const [bad, , missing] = outcomes;
    assert.ok(bad && !bad.ok && /cannot be read/.test(bad.error) && !bad.retryable);
    assert.ok(missing && !missing.ok && /cannot be read/.test(missing.error));
  });
});

describe('importing from a URL', () => {
  let server: Server;
  let base: string;
  let zip: Buffer;
  const requests: { path: string; ifNoneMatch: string | undefined }[] = [];
  let mode: 'ok' | 'unavailable' = 'ok';

  function handle(request: IncomingMessage, response: ServerResponse): void {
    requests.push({ path: request.url ?? '', ifNoneMatch: request.headers['if-none-match'] });
    if (mode === 'unavailable') {
      response.writeHead(503).end();
      return;
    }
    if (request.url !== '/Debian/all.zip') {
      response.writeHead(404).end();
      return;
    }
    if (request.headers['if-none-match'] === '"v1"') {
      response.writeHead(304, { etag: '"v1"' }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length, etag: '"v1"' }).end(zip);
  }

  before(async () => {
    zip = buildZip(await fixtureZipInputs());
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
    mode = 'ok';
  });

  it('downloads into the data directory, imports, removes the download, then asks conditionally', async () => {
    const source = `${base}/Debian/all.zip`;
    const first = await importOsvSource(db, source, { dataDir: work, allowLoopbackHttp: true });
    assert.deepEqual([first.read, first.imported, first.notModified], [8, 8, false]);
    assert.deepEqual(await downloadsLeft(), []);

    const second = await importOsvSource(db, source, { dataDir: work, allowLoopbackHttp: true });
    assert.equal(second.notModified, true);
    assert.deepEqual(
      requests.map((request) => request.ifNoneMatch),
      [undefined, '"v1"'],
    );
  });

  it('refuses plain http unless allowed, and only to the loopback address', async () => {
    await assert.rejects(importOsvSource(db, `${base}/Debian/all.zip`, { dataDir: work }), (error: unknown) => error instanceof OsvSourceError && /must use https/.test(error.message));
    await assert.rejects(
      importOsvSource(db, 'http://example.org/Debian/all.zip', { dataDir: work, allowLoopbackHttp: true }),
      (error: unknown) => error instanceof OsvSourceError && !error.retryable,
    );
    assert.equal(requests.length, 0);
  });

  it('reports the host failing as retryable and a missing file as not', async () => {
    mode = 'unavailable';
    const [down] = await importOsvSources(db, [`${base}/Debian/all.zip`], { dataDir: work, allowLoopbackHttp: true });
    assert.ok(down && !down.ok && down.retryable && /HTTP 503/.test(down.error));
    mode = 'ok';
    const [missing] = await importOsvSources(db, [`${base}/Nope/all.zip`], { dataDir: work, allowLoopbackHttp: true });
    assert.ok(missing && !missing.ok && !missing.retryable && /HTTP 404/.test(missing.error));
  });

  it('refuses a download above the cap and leaves no file behind', async () => {
    const [outcome] = await importOsvSources(db, [`${base}/Debian/all.zip`], { dataDir: work, allowLoopbackHttp: true, maxDownloadBytes: 1000 });
    assert.ok(outcome && !outcome.ok && /larger than 1000 bytes/.test(outcome.error));
    assert.deepEqual(await downloadsLeft(), []);
    assert.deepEqual(await countAdvisories(db), { total: 0, withdrawn: 0 });
  });

  it('refreshes on a schedule and stops cleanly', async () => {
    const refresher = startOsvRefresh(db, [`${base}/Debian/all.zip`], { dataDir: work, allowLoopbackHttp: true, intervalMs: 60_000 });
    try {
      const outcomes = await refresher.refreshNow();
      assert.deepEqual(
        outcomes.map((outcome) => outcome.ok && outcome.report.notModified),
        [true],
        'the refresh after the initial import finds nothing new',
      );
      assert.equal((await countAdvisories(db)).total, 8);
    } finally {
      await refresher.stop();
    }
  });
  it('lets a scan join the start-up import instead of queueing a second one', async () => {
    const requestsBefore = requests.length;
    const refresher = startOsvRefresh(db, [`${base}/Debian/all.zip`], { dataDir: work, allowLoopbackHttp: true, intervalMs: 60_000 });
    try {
      const [first, second] = await Promise.all([refresher.importSoon(), refresher.importSoon()]);
      assert.equal(first, second, 'both waited for the same import');
      assert.equal(requests.length - requestsBefore, 1, 'one download for the start-up import and the scans waiting on it');
      await refresher.importSoon();
      assert.equal(requests.length - requestsBefore, 2, 'with none in progress, a scan starts an import');
    } finally {
      await refresher.stop();
    }
  });
});

describe('ECRSCAN_OSV_SOURCES', () => {
  it('is a comma-separated list of paths and URLs', () => {
    assert.deepEqual(parseOsvSources(' ./osv/Debian , https://osv-vulnerabilities.storage.googleapis.com/Alpine/all.zip,,'), [
      './osv/Debian',
      'https://osv-vulnerabilities.storage.googleapis.com/Alpine/all.zip',
    ]);
    assert.deepEqual(parseOsvSources(undefined), []);
  });
});
