import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '../../../store/kysely-store.js';
import { openSqlite } from '../../../store/sqlite/open-sqlite.js';
import type { Database } from '../../../store/tables.js';
import type { Advisory } from './advisory.js';
import type { AffectedRow } from './advisory-lookup.js';
import {
  countAdvisories,
  createAdvisoryLookup,
  readImportSource,
  saveAdvisories,
  saveImportSource,
  storedModifiedTimes,
} from './advisory-store.js';

async function all(batches: AsyncIterable<AffectedRow[]>): Promise<AffectedRow[]> {
  const rows: AffectedRow[] = [];
  for await (const batch of batches) rows.push(...batch);
  return rows;
}

function advisory(id: string, overrides: Partial<Advisory> = {}): Advisory {
  return {
    id,
    modified: 1_000,
    published: null,
    withdrawn: null,
    aliases: [],
    upstream: [],
    summary: `${id} summary`,
    details: null,
    severity: [],
    databaseSeverity: null,
    references: [],
    affected: [
      {
        ecosystem: 'Debian:12',
        package: 'openssl',
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
        versions: [],
        severity: [],
        cves: [],
      },
    ],
    ...overrides,
  };
}

describe('advisory store', () => {
  let db: Kysely<Database>;

  beforeEach(async () => {
    await db?.destroy();
    db = openSqlite(':memory:');
    await migrateToLatest(db);
  });

  after(async () => {
    await db?.destroy();
  });

  it('saves advisories and finds their affected entries by (ecosystem, package)', async () => {
    await saveAdvisories(db, [advisory('DSA-1-1'), advisory('DSA-2-1', { affected: [] })], 'test');
    const lookup = createAdvisoryLookup(db);
    const rows = await all(lookup.affectedEntries([
      { ecosystem: 'Debian:12', name: 'openssl' },
      { ecosystem: 'Debian:11', name: 'openssl' },
    ]));
    assert.deepEqual(
      rows.map((row) => [row.advisoryId, row.ecosystem, row.package, row.ranges[0]?.events.length]),
      [['DSA-1-1', 'Debian:12', 'openssl', 2]],
    );
    assert.deepEqual(await storedModifiedTimes(db, ['DSA-1-1', 'DSA-9-1']), new Map([['DSA-1-1', 1_000]]));
  });

  it('says which ecosystems have advisory data, whatever their release, and not a name that merely starts the same', async () => {
    const npm = advisory('GHSA-aaaa-bbbb-cccc', { affected: [{ ...advisory('x').affected[0]!, ecosystem: 'npm', package: 'left-pad' }] });
    await saveAdvisories(db, [advisory('DSA-1-1'), npm], 'test');
    const lookup = createAdvisoryLookup(db);
    assert.equal(await lookup.hasEcosystem('Debian'), true, 'Debian:12 counts for Debian');
    assert.equal(await lookup.hasEcosystem('npm'), true);
    assert.equal(await lookup.hasEcosystem('Alpine'), false);
    assert.equal(await lookup.hasEcosystem('Deb'), false);
    assert.equal(await lookup.hasEcosystem('PyPI'), false);
  });

  it('replaces the affected entries of a record saved again', async () => {
    await saveAdvisories(db, [advisory('DSA-1-1')], 'test');
    const moved = advisory('DSA-1-1', { modified: 2_000, affected: [{ ...advisory('x').affected[0]!, package: 'openssl3' }] });
    await saveAdvisories(db, [moved], 'test');
    const lookup = createAdvisoryLookup(db);
    assert.deepEqual(await all(lookup.affectedEntries([{ ecosystem: 'Debian:12', name: 'openssl' }])), []);
    assert.equal((await all(lookup.affectedEntries([{ ecosystem: 'Debian:12', name: 'openssl3' }]))).length, 1);
    assert.deepEqual(await countAdvisories(db), { total: 1, withdrawn: 0 });
  });

  it('keeps a withdrawn record but hides it from every lookup', async () => {
    await saveAdvisories(db, [advisory('GHSA-xxxx-yyyy-zzzz', { aliases: ['CVE-2024-12345'] })], 'test');
    await saveAdvisories(db, [advisory('GHSA-xxxx-yyyy-zzzz', { aliases: ['CVE-2024-12345'], modified: 2_000, withdrawn: 2_000 })], 'test');
    const lookup = createAdvisoryLookup(db);
    assert.deepEqual(await all(lookup.affectedEntries([{ ecosystem: 'Debian:12', name: 'openssl' }])), []);
    assert.deepEqual(await lookup.advisories(['GHSA-xxxx-yyyy-zzzz']), []);
    assert.deepEqual(await lookup.advisoriesNamed(['CVE-2024-12345', 'GHSA-xxxx-yyyy-zzzz']), []);
    assert.deepEqual(await countAdvisories(db), { total: 1, withdrawn: 1 });
  });

  it('finds records by every name they go by: id, alias, upstream id, wrapped CVE', async () => {
    await saveAdvisories(
      db,
      [
        advisory('DSA-1-1', { upstream: ['CVE-2024-0001', 'DEBIAN-CVE-2024-0001'] }),
        advisory('GHSA-aaaa-bbbb-cccc', { aliases: ['CVE-2024-0001'], databaseSeverity: 'HIGH' }),
        advisory('CVE-2024-0001'),
        advisory('DEBIAN-CVE-2024-0001'),
        advisory('DSA-2-1', { upstream: ['CVE-2024-0002'] }),
      ],
      'test',
    );
    const lookup = createAdvisoryLookup(db);
    const named = await lookup.advisoriesNamed(['CVE-2024-0001']);
    assert.deepEqual(
      named.map((pair) => pair.advisoryId).sort(),
      ['CVE-2024-0001', 'DEBIAN-CVE-2024-0001', 'DSA-1-1', 'GHSA-aaaa-bbbb-cccc'],
    );
    assert.ok(named.every((pair) => pair.name === 'CVE-2024-0001'));
    const [ghsa] = await lookup.advisories(['GHSA-aaaa-bbbb-cccc']);
    assert.equal(ghsa?.databaseSeverity, 'HIGH');
    assert.deepEqual(ghsa?.aliases, ['CVE-2024-0001']);
  });

  it('computes what findings show once, at import', async () => {
    await saveAdvisories(
      db,
      [
        advisory('GHSA-dddd-eeee-ffff', {
          summary: null,
          details: '  Long details.  ',
          references: [
            { type: 'PACKAGE', url: 'https://example.org/pkg' },
            { type: 'WEB', url: 'https://example.org/web' },
            { type: 'ADVISORY', url: 'javascript:alert(1)' },
            { type: 'ADVISORY', url: 'https://example.org/advisory' },
          ],
        }),
      ],
      'test',
    );
    const [summary] = await createAdvisoryLookup(db).advisories(['GHSA-dddd-eeee-ffff']);
    assert.equal(summary?.description, 'Long details.');
    assert.equal(summary?.uri, 'https://example.org/advisory', 'an ADVISORY link over a WEB one, http(s) only');
  });

  it('handles more ids than one statement may carry', async () => {
    const many = Array.from({ length: 1_234 }, (_, i) => advisory(`DSA-${i}-1`));
    await saveAdvisories(db, many, 'test');
    assert.equal((await storedModifiedTimes(db, many.map((a) => a.id))).size, 1_234);
    assert.equal((await createAdvisoryLookup(db).advisories(many.map((a) => a.id))).length, 1_234);
    assert.equal((await all(createAdvisoryLookup(db).affectedEntries([{ ecosystem: 'Debian:12', name: 'openssl' }]))).length, 1_234);
  });

  it('remembers each import source and updates it', async () => {
    assert.equal(await readImportSource(db, 'https://example.org/all.zip'), null);
    await saveImportSource(db, { source: 'https://example.org/all.zip', etag: '"a"', last_modified: null, signature: null, imported_at: 5, records: 10 });
    await saveImportSource(db, { source: 'https://example.org/all.zip', etag: '"b"', last_modified: 'Tue, 01 Oct 2024 00:00:00 GMT', signature: null, imported_at: 6, records: 11 });
    assert.deepEqual(await readImportSource(db, 'https://example.org/all.zip'), {
      source: 'https://example.org/all.zip',
      etag: '"b"',
      last_modified: 'Tue, 01 Oct 2024 00:00:00 GMT',
      signature: null,
      imported_at: 6,
      records: 11,
    });
  });
});
