import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from '../../../../test/support/fake-clock.js';
import { databases } from '../../../../test/support/databases.js';
import { openDatabase } from '../../../store/open-store.js';
import { createInventoryCache, indexPendingInventories } from '../inventory-cache.js';
import type { Inventory } from '../inventory.js';
import { affectedDigests } from './affected-images.js';

/** The package index written beside inventories, and the digests an advisory change finds by it. */

const DEBIAN = `sha256:${'d'.repeat(64)}`;
const NODE = `sha256:${'e'.repeat(64)}`;
const DAY_MS = 24 * 60 * 60 * 1000;

function inventory(packages: Array<[ecosystem: string, name: string, source: string | null]>): Inventory {
  return {
    os: null,
    packages: packages.map(([ecosystem, name, source]) => ({ ecosystem, name, version: '1.0-1', sourceName: source, sourceVersion: source ? '1.0-1' : null, path: 'var/lib/dpkg/status' })),
    analysers: { dpkg: '1' },
    unsupported: [],
    unsettled: [],
    advisoryGaps: [],
  };
}

const dialects = await databases();

for (const dialect of dialects) {
  describe(`package index (${dialect.name})`, () => {
    it('finds digests by the name advisories use, in the ecosystem with or without its release', async (t) => {
      const { store, db } = await openDatabase(await dialect.createDatabase());
      t.after(() => store.close());
      const clock = createFakeClock();
      const cache = createInventoryCache(db, { clock });
      const key = (digest: string) => ({ digest, platform: 'linux/amd64', analysers: { dpkg: '1' } });
      await cache.put(key(DEBIAN), DEBIAN, inventory([['Debian:12', 'libssl3', 'openssl'], ['Debian:12', 'zlib1g', 'zlib']]));
      await cache.put(key(NODE), NODE, inventory([['npm', 'left-pad', null], ['Debian:11', 'zlib1g', 'zlib']]));
      assert.deepEqual([...(await affectedDigests(db, [{ ecosystem: 'npm', name: 'left-pad' }]))], [], 'indexed after they are stored');
      assert.equal(await indexPendingInventories(db), 2);

      const found = async (ecosystem: string, name: string) => [...(await affectedDigests(db, [{ ecosystem, name }]))].sort();
      assert.deepEqual(await found('Debian:12', 'openssl'), [DEBIAN], 'Debian records name source packages');
      assert.deepEqual(await found('Debian:12', 'libssl3'), [], 'not the binary');
      assert.deepEqual(await found('Debian', 'zlib'), [DEBIAN, NODE], 'every release');
      assert.deepEqual(await found('Debian:11', 'zlib'), [NODE]);
      assert.deepEqual(await found('npm', 'left-pad'), [NODE]);
      assert.deepEqual(await found('PyPI', 'left-pad'), []);

      // An inventory pruned as idle takes its rows with it.
      clock.advance(100 * DAY_MS);
      await cache.put(key(NODE), NODE, inventory([['npm', 'left-pad', null]]));
      assert.equal(await indexPendingInventories(db), 1);
      assert.deepEqual(await found('Debian', 'zlib'), [NODE], 'rows an earlier inventory of a kept digest wrote stay');
      assert.deepEqual(await found('Debian:12', 'openssl'), []);

      // Once no kept inventory's digest points at a batch, its postings go too.
      clock.advance(100 * DAY_MS);
      const OTHER = `sha256:${'f'.repeat(64)}`;
      await cache.put(key(OTHER), OTHER, inventory([['npm', 'left-pad', null]]));
      assert.deepEqual(await found('npm', 'left-pad'), [], 'the pruned digest is not found');
      const count = async (table: 'inventory_postings' | 'inventory_digests' | 'inventory_index_queue') =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.deepEqual([await count('inventory_postings'), await count('inventory_digests'), await count('inventory_index_queue')], [0, 0, 1]);
      assert.equal(await indexPendingInventories(db), 1);
      assert.deepEqual(await found('npm', 'left-pad'), [OTHER]);
      assert.deepEqual([await count('inventory_postings'), await count('inventory_index_queue')], [1, 0]);
    });

    it('indexes each stored inventory once, and again when it is stored anew', async (t) => {
      const { store, db } = await openDatabase(await dialect.createDatabase());
      t.after(() => store.close());
      const clock = createFakeClock();
      const cache = createInventoryCache(db, { clock });
      const key = { digest: DEBIAN, platform: 'linux/amd64', analysers: { dpkg: '1' } };
      await cache.put(key, DEBIAN, inventory([['Debian:12', 'zlib1g', 'zlib']]));
      assert.equal(await indexPendingInventories(db), 1);
      assert.equal(await indexPendingInventories(db), 0);
      clock.advance(1000);
      await cache.put(key, DEBIAN, inventory([['Debian:12', 'libssl3', 'openssl']]));
      assert.equal(await indexPendingInventories(db), 1);
      assert.deepEqual([...(await affectedDigests(db, [{ ecosystem: 'Debian:12', name: 'openssl' }]))], [DEBIAN]);
    });
  });
}
