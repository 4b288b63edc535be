import { type Kysely, PostgresAdapter, type QueryCreator } from 'kysely';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Clock } from '../../clock.js';
import type { Database } from '../../store/tables.js';
import type { Inventory } from './inventory.js';
import { indexInventories, indexKeysJson, pruneIndex } from './inventory-index.js';

/**
 * Package inventories of image digests, kept in the service's database, so that a rescan
 * of an unchanged image downloads no layer and only matches again. Plain functions over
 * Kysely: the same SQL on SQLite and PostgreSQL.
 */

export interface InventoryKey {
  /** What the tag points at: an image manifest, or an index. */
  digest: string;
  /** `os/architecture[/variant]`. */
  platform: string;
  /** Name → version of every analyser that would run now. */
  analysers: Readonly<Record<string, string>>;
}

export interface InventoryCache {
  /** The stored inventory for this key, or null (none, or unreadable). */
  get(key: InventoryKey): Promise<Inventory | null>;
  put(key: InventoryKey, manifestDigest: string, inventory: Inventory): Promise<void>;
}

export interface InventoryCacheOptions {
  clock: Clock;
  /** Inventories unused for this long are removed when a new one is stored (default 90 days). */
  maxIdleMs?: number;
}

// A scan uses an inventory at least once a day by default; one a quarter has not needed is
// an image nobody scans any more.
const DEFAULT_MAX_IDLE_MS = 90 * 24 * 60 * 60 * 1000;
// `used_at` is a pruning aid, not an audit trail: it is moved at most once a day per row,
// so that a warm rescan costs a read and no write.
const USED_AT_RESOLUTION_MS = 24 * 60 * 60 * 1000;

const Package = Type.Object({
  ecosystem: Type.String(),
  name: Type.String(),
  version: Type.String(),
  sourceName: Type.Union([Type.String(), Type.Null()]),
  sourceVersion: Type.Union([Type.String(), Type.Null()]),
  path: Type.String(),
});

const StoredInventory = Type.Object({
  os: Type.Union([
    Type.Object({ id: Type.String(), versionId: Type.Union([Type.String(), Type.Null()]), prettyName: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  packages: Type.Array(Package),
  analysers: Type.Record(Type.String(), Type.String()),
  unsupported: Type.Array(Type.String()),
  unsettled: Type.Array(Type.String()),
  advisoryGaps: Type.Array(Type.Object({ distribution: Type.String(), ecosystem: Type.String(), path: Type.String(), packages: Type.Number() })),
});
const storedInventory = Compile(StoredInventory);

/** `apk=1,dpkg=1,os-release=1`: the analysers part of the key, independent of property order. */
export function analysersKey(analysers: Readonly<Record<string, string>>): string {
  return Object.keys(analysers)
    .sort()
    .map((name) => `${name}=${analysers[name]}`)
    .join(',');
}

function parseInventory(text: string): Inventory | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return storedInventory.Check(parsed) ? parsed : null;
}

export function createInventoryCache(db: Kysely<Database>, options: InventoryCacheOptions): InventoryCache {
  const maxIdleMs = options.maxIdleMs ?? DEFAULT_MAX_IDLE_MS;
  // PostgreSQL takes the inventory and its queue row in one statement (a data-modifying WITH); SQLite has none.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const where = (key: InventoryKey) => ({ digest: key.digest, platform: key.platform, analysers: analysersKey(key.analysers) });

  return {
    async get(key) {
      const id = where(key);
      const row = await db
        .selectFrom('image_inventories')
        .select(['inventory', 'used_at'])
        .where('digest', '=', id.digest)
        .where('platform', '=', id.platform)
        .where('analysers', '=', id.analysers)
        .executeTakeFirst();
      if (!row) return null;
      // A row this version cannot read (written by a later one, or damaged) is taken again.
      const inventory = parseInventory(row.inventory);
      const now = options.clock.now().getTime();
      if (inventory && Number(row.used_at) < now - USED_AT_RESOLUTION_MS) {
        await db
          .updateTable('image_inventories')
          .set({ used_at: now })
          .where('digest', '=', id.digest)
          .where('platform', '=', id.platform)
          .where('analysers', '=', id.analysers)
          .execute();
      }
      return inventory;
    },

    async put(key, manifestDigest, inventory) {
      const now = options.clock.now().getTime();
      const row = { ...where(key), manifest_digest: manifestDigest, inventory: JSON.stringify(inventory), created_at: now, used_at: now };
      // The keys are derived here, from the inventory in hand, so that indexing parses no inventory.
      const queued = { ...where(key), created_at: now, keys: indexKeysJson(inventory) };
      const storeInventory = (target: QueryCreator<Database>) =>
        target
          .insertInto('image_inventories')
          .values(row)
          // Two processes (or two configurations) may take the same inventory at once; the content is the same.
          .onConflict((conflict) =>
            conflict.columns(['digest', 'platform', 'analysers']).doUpdateSet({
              manifest_digest: row.manifest_digest,
              inventory: row.inventory,
              created_at: row.created_at,
              used_at: row.used_at,
            }),
          );
      const queue = (target: QueryCreator<Database>) =>
        target
          .insertInto('inventory_index_queue')
          .values(queued)
          .onConflict((conflict) => conflict.columns(['digest', 'platform', 'analysers']).doUpdateSet({ created_at: queued.created_at, keys: queued.keys }));
      if (postgres) {
        // One statement, so one round trip: the queue row must not cost the write a second one.
        await db
          .with('stored', (cte) => storeInventory(cte).returning('digest'))
          .insertInto('inventory_index_queue')
          .values(queued)
          .onConflict((conflict) => conflict.columns(['digest', 'platform', 'analysers']).doUpdateSet({ created_at: queued.created_at, keys: queued.keys }))
          .execute();
      } else {
        await db.transaction().execute(async (trx) => {
          await storeInventory(trx).execute();
          await queue(trx).execute();
        });
      }
      await pruneIdle(db, now - maxIdleMs);
    },
  };
}

/**
 * Indexes every inventory stored since the last call into the package index (see
 * inventory-index.ts), a batch per transaction; returns how many. The re-match calls it
 * before it looks for affected digests, so that no stored inventory is missed.
 */
export function indexPendingInventories(db: Kysely<Database>): Promise<number> {
  return indexInventories(db, parseInventory);
}

async function pruneIdle(db: Kysely<Database>, before: number): Promise<void> {
  const idle = await db.selectFrom('image_inventories').select('digest').where('used_at', '<', before).execute();
  if (idle.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('image_inventories').where('used_at', '<', before).execute();
    await pruneIndex(trx, [...new Set(idle.map((row) => row.digest))]);
  });
}

/** An inventory as kept, with what it was read from. */
export interface KeptInventory {
  digest: string;
  platform: string;
  inventory: Inventory;
}

/** Reads kept inventories by image digest, for exports: no `used_at` bump, no pruning. */
export interface InventoryReader {
  /** The most recently used readable inventory of the digest (what a tag points at), or null. */
  latest(digest: string): Promise<KeptInventory | null>;
}

export function createInventoryReader(db: Kysely<Database>): InventoryReader {
  return {
    async latest(digest) {
      const rows = await db
        .selectFrom('image_inventories')
        .select(['digest', 'platform', 'inventory'])
        .where('digest', '=', digest)
        .orderBy('used_at', 'desc')
        .execute();
      for (const row of rows) {
        const inventory = parseInventory(row.inventory);
        if (inventory) return { digest: row.digest, platform: row.platform, inventory };
      }
      return null;
    },
  };
}
