import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createFakeClock } from '../../../test/support/fake-clock.js';
import { databases } from '../../../test/support/databases.js';
import { migrateToLatest } from '../../store/kysely-store.js';
import { openPostgres } from '../../store/postgres/open-postgres.js';
import { openSqlite } from '../../store/sqlite/open-sqlite.js';
import type { Database } from '../../store/tables.js';
import { analysersKey, createInventoryCache, type InventoryKey } from './inventory-cache.js';
import type { Inventory } from './inventory.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const DIGEST = `sha256:${'a'.repeat(64)}`;
const MANIFEST = `sha256:${'b'.repeat(64)}`;

const INVENTORY: Inventory = {
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  packages: [
    { ecosystem: 'Debian:12', name: 'libssl3', version: '3.0.18-1~deb12u1', sourceName: 'openssl', sourceVersion: '3.0.18-1~deb12u1', path: 'var/lib/dpkg/status' },
    { ecosystem: 'Debian:12', name: 'tar', version: '1.34+dfsg-1.2', sourceName: 'tar', sourceVersion: '1.34+dfsg-1.2', path: 'var/lib/dpkg/status' },
  ],
  analysers: { 'os-release': '1', dpkg: '1', apk: '1' },
  unsupported: [], unsettled: [], advisoryGaps: [],
};

function key(overrides: Partial<InventoryKey> = {}): InventoryKey {
  return { digest: DIGEST, platform: 'linux/amd64', analysers: { 'os-release': '1', dpkg: '1', apk: '1' }, ...overrides };
}

async function usedAt(db: Kysely<Database>): Promise<number[]> {
  const rows = await db.selectFrom('image_inventories').select('used_at').orderBy('used_at').execute();
  return rows.map((row) => Number(row.used_at));
}

describe('analysersKey', () => {
  it('does not depend on the order analysers are listed in', () => {
    assert.equal(analysersKey({ dpkg: '1', apk: '2', 'os-release': '1' }), 'apk=2,dpkg=1,os-release=1');
    assert.equal(analysersKey({ 'os-release': '1', apk: '2', dpkg: '1' }), 'apk=2,dpkg=1,os-release=1');
  });
});

for (const dialect of await databases()) {
  describe(`the inventory cache on ${dialect.name}`, () => {
    let db: Kysely<Database>;

    before(async () => {
      const url = await dialect.createDatabase();
      db = dialect.name === 'sqlite' ? openSqlite(url) : openPostgres(url, { poolSize: 2, statementTimeoutMs: 10_000 });
      await migrateToLatest(db);
    });
    after(() => db?.destroy());

    it('keeps an inventory per digest, platform and analyser versions', async () => {
      const cache = createInventoryCache(db, { clock: createFakeClock() });
      assert.equal(await cache.get(key()), null);
      await cache.put(key(), MANIFEST, INVENTORY);
      assert.deepEqual(await cache.get(key()), INVENTORY);
      assert.deepEqual(await cache.get(key({ analysers: { apk: '1', dpkg: '1', 'os-release': '1' } })), INVENTORY, 'the same versions in another order');
      assert.equal(await cache.get(key({ platform: 'linux/arm64/v8' })), null, 'another image of the same index');
      assert.equal(await cache.get(key({ analysers: { 'os-release': '1', dpkg: '2', apk: '1' } })), null, 'a newer analyser makes it stale');
      assert.equal(await cache.get(key({ digest: `sha256:${'c'.repeat(64)}` })), null);
      const rows = await db.selectFrom('image_inventories').select(['manifest_digest', 'analysers']).execute();
      assert.deepEqual(rows, [{ manifest_digest: MANIFEST, analysers: 'apk=1,dpkg=1,os-release=1' }]);
      await db.deleteFrom('image_inventories').execute();
    });

    it('replaces an inventory stored again (two scans of one digest at once)', async () => {
      const cache = createInventoryCache(db, { clock: createFakeClock() });
      await cache.put(key(), MANIFEST, INVENTORY);
      const again: Inventory = { ...INVENTORY, packages: INVENTORY.packages.slice(0, 1) };
      await cache.put(key(), MANIFEST, again);
      assert.deepEqual(await cache.get(key()), again);
      assert.equal((await db.selectFrom('image_inventories').select('digest').execute()).length, 1);
      await db.deleteFrom('image_inventories').execute();
    });

    it('treats a row it cannot read as absent, so that the image is analysed again', async () => {
      const cache = createInventoryCache(db, { clock: createFakeClock() });
      await cache.put(key(), MANIFEST, INVENTORY);
      await db.updateTable('image_inventories').set({ inventory: '{"os":null,"packages":"not a list"}' }).execute();
      assert.equal(await cache.get(key()), null);
      await db.updateTable('image_inventories').set({ inventory: 'not json' }).execute();
      assert.equal(await cache.get(key()), null);
      await db.deleteFrom('image_inventories').execute();
    });

    it('notes use at most once a day and removes inventories unused for longer than the bound', async () => {
      const clock = createFakeClock();
      const cache = createInventoryCache(db, { clock, maxIdleMs: 30 * DAY_MS });
      const start = clock.now().getTime();
      await cache.put(key(), MANIFEST, INVENTORY);
      clock.advance(DAY_MS / 2);
      await cache.get(key());
      assert.deepEqual(await usedAt(db), [start], 'a warm rescan within the day writes nothing');
      clock.advance(DAY_MS);
      await cache.get(key());
      assert.deepEqual(await usedAt(db), [start + 1.5 * DAY_MS]);

      clock.advance(31 * DAY_MS);
      const other = key({ digest: `sha256:${'d'.repeat(64)}` });
      await cache.put(other, MANIFEST, INVENTORY);
      assert.equal(await cache.get(key()), null, 'unused for 31 days: removed when another was stored');
      assert.deepEqual(await cache.get(other), INVENTORY);
      await db.deleteFrom('image_inventories').execute();
    });
  });
}
