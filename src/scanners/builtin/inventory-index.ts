import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/tables.js';
import type { Inventory } from './inventory.js';
import { advisoryNamesOf } from './osv/match-groups.js';

/**
 * The package index: which stored inventories hold a package, by the name advisories use
 * and the package's ecosystem with its release, so that an advisory change finds the image
 * digests it concerns without reading every inventory (see the re-match).
 *
 * Kept as posting lists: inventories are indexed in batches after they are stored, and each
 * batch writes one row per package it holds, listing the (numbered) digests of its
 * inventories that hold it. Inventories of one batch share most of their packages, so a
 * batch of 200 writes a few rows per inventory instead of one per package. The index may
 * name a digest for a package it no longer holds (an earlier inventory of the digest, or
 * a batch not yet pruned), never miss one.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** Ecosystem → names advisories use, as stored beside an inventory. */
export type IndexKeys = ReadonlyArray<readonly [ecosystem: string, names: readonly string[]]>;

/** What the index records of an inventory, as JSON, written beside it when it is stored. */
export function indexKeysJson(inventory: Inventory): string {
  return JSON.stringify([...advisoryNamesOf(inventory)].map(([ecosystem, names]) => [ecosystem, [...names]]));
}

function parseIndexKeys(text: string): IndexKeys | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  for (const entry of parsed as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) return null;
    for (const name of entry[1] as unknown[]) if (typeof name !== 'string') return null;
  }
  return parsed as IndexKeys;
}

// Rows per statement: 3 columns × 1000 stays far below every dialect's parameter limit.
const CHUNK = 1000;
// Inventories indexed per transaction: the more, the more packages they share per row.
const INDEX_BATCH = 200;

interface Pending {
  digest: string;
  platform: string;
  analysers: string;
  created_at: number;
  keys: IndexKeys | null;
}

/**
 * Indexes every inventory stored since the last call (and those stored before the index
 * existed), a batch per transaction; returns how many. `parseInventory` reads those stored
 * before their keys were written beside them.
 */
export async function indexInventories(db: Kysely<Database>, parseInventory: (text: string) => Inventory | null): Promise<number> {
  let indexed = 0;
  for (;;) {
    const rows = await db.selectFrom('inventory_index_queue').select(['digest', 'platform', 'analysers', 'keys', 'created_at']).orderBy('created_at').limit(INDEX_BATCH).execute();
    if (rows.length === 0) return indexed;
    const pending: Pending[] = [];
    for (const row of rows) {
      const keys = row.keys === null ? await keysFromInventory(db, row, parseInventory) : parseIndexKeys(row.keys);
      pending.push({ digest: row.digest, platform: row.platform, analysers: row.analysers, created_at: Number(row.created_at), keys });
    }
    const known = knownKeys(db);
    const numbered = await db.transaction().execute((trx) => writeBatch(trx, pending, known));
    // Numbers are kept once committed: names are never removed from the index.
    if (known.size + numbered.size > MAX_KNOWN_KEYS) known.clear();
    for (const [key, id] of numbered) known.set(key, id);
    indexed += rows.length;
  }
}

/** An inventory stored before keys were queued with it: read from the inventory itself (none: pruned meanwhile). */
async function keysFromInventory(db: Db, row: { digest: string; platform: string; analysers: string }, parseInventory: (text: string) => Inventory | null): Promise<IndexKeys | null> {
  const stored = await db
    .selectFrom('image_inventories')
    .select('inventory')
    .where('digest', '=', row.digest)
    .where('platform', '=', row.platform)
    .where('analysers', '=', row.analysers)
    .executeTakeFirst();
  // One this version cannot read has nothing to index; the next scan stores it again.
  const inventory = stored ? parseInventory(stored.inventory) : null;
  return inventory ? parseIndexKeys(indexKeysJson(inventory)) : null;
}

// Package names (with ecosystem) whose number this process has read, per database: most of
// a batch's names are known, and then cost no statement. Bounded: some 100 bytes a name.
const MAX_KNOWN_KEYS = 200_000;
const knownKeysOf = new WeakMap<Kysely<Database>, Map<string, number>>();

function knownKeys(db: Kysely<Database>): Map<string, number> {
  let known = knownKeysOf.get(db);
  if (!known) knownKeysOf.set(db, (known = new Map()));
  return known;
}

/** Writes a batch's postings; returns the names it numbered that were not known before. */
async function writeBatch(trx: Transaction<Database>, pending: readonly Pending[], known: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const batch = (await trx.insertInto('inventory_index_batches').values({ created_at: Date.now() }).returning('id').executeTakeFirstOrThrow()).id;
  const digestIds = await numberDigests(trx, [...new Set(pending.filter((row) => row.keys !== null).map((row) => row.digest))], batch);
  // Ecosystem → name → digest ids of this batch holding it (an inventory names each package once).
  const postings = new Map<string, Map<string, number[]>>();
  for (const row of pending) {
    const digestId = digestIds.get(row.digest);
    if (row.keys === null || digestId === undefined) continue;
    for (const [ecosystem, names] of row.keys) {
      let byName = postings.get(ecosystem);
      if (!byName) postings.set(ecosystem, (byName = new Map()));
      for (const name of names) {
        const ids = byName.get(name);
        if (ids) ids.push(digestId);
        else byName.set(name, [digestId]);
      }
    }
  }
  const keyed = [...postings].flatMap(([ecosystem, byName]) => [...byName].map(([name, ids]) => ({ key: `${name}\u0000${ecosystem}`, ids })));
  const numbered = await numberKeys(trx, keyed.map(({ key }) => key).filter((key) => !known.has(key)));
  const rows = keyed.map(({ key, ids }) => ({ key_id: known.get(key) ?? numbered.get(key) ?? -1, batch, digests: ids.join(',') }));
  if (rows.some((row) => row.key_id < 0)) throw new Error('the package index lost a package name it had just numbered');
  // In key order: the order of the table within the batch, and of the lookup index.
  rows.sort((a, b) => a.key_id - b.key_id);
  for (let start = 0; start < rows.length; start += CHUNK) await trx.insertInto('inventory_postings').values(rows.slice(start, start + CHUNK)).execute();
  for (let start = 0; start < pending.length; start += CHUNK / 4) {
    const rows = pending.slice(start, start + CHUNK / 4);
    await trx
      .deleteFrom('inventory_index_queue')
      // By digest first, so that the primary key finds the rows.
      .where('digest', 'in', [...new Set(rows.map((row) => row.digest))])
      // Stored again meanwhile (another created_at): that content is indexed by a later call.
      .where((eb) => eb(eb.refTuple('digest', 'platform', 'analysers', 'created_at'), 'in', rows.map((row) => eb.tuple(row.digest, row.platform, row.analysers, row.created_at))))
      .execute();
  }
  return numbered;
}

/** Each digest's number, given one if new; each now points at this batch. */
async function numberDigests(trx: Transaction<Database>, digests: string[], batch: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  // Sorted: concurrent batches lock the same rows in the same order.
  digests.sort();
  for (let start = 0; start < digests.length; start += CHUNK) {
    const chunk = digests.slice(start, start + CHUNK);
    const rows = await trx
      .insertInto('inventory_digests')
      .values(chunk.map((digest) => ({ digest, batch })))
      .onConflict((conflict) => conflict.column('digest').doUpdateSet({ batch }))
      .returning(['id', 'digest'])
      .execute();
    for (const row of rows) ids.set(row.digest, row.id);
  }
  return ids;
}

/** Each `name\0ecosystem` key's number, given one if new. */
async function numberKeys(trx: Transaction<Database>, keys: string[]): Promise<Map<string, number>> {
  keys.sort();
  const split = keys.map((key) => {
    const at = key.indexOf('\u0000');
    return { package: key.slice(0, at), ecosystem: key.slice(at + 1) };
  });
  for (let start = 0; start < split.length; start += CHUNK) {
    await trx.insertInto('inventory_package_keys').values(split.slice(start, start + CHUNK)).onConflict((conflict) => conflict.doNothing()).execute();
  }
  const ids = new Map<string, number>();
  const names = [...new Set(split.map((key) => key.package))];
  for (let start = 0; start < names.length; start += CHUNK) {
    const rows = await trx.selectFrom('inventory_package_keys').select(['id', 'package', 'ecosystem']).where('package', 'in', names.slice(start, start + CHUNK)).execute();
    for (const row of rows) ids.set(`${row.package}\u0000${row.ecosystem}`, row.id);
  }
  return ids;
}

/**
 * The digests whose indexed inventories hold one of these packages, by name and the
 * ecosystem with its release; `null` as release (a record naming `Debian`) finds every
 * release. (A wildcard in the prefix, or SQLite's case-blind LIKE, can only add digests.)
 */
export async function indexedDigests(db: Db, ecosystem: string, names: readonly string[]): Promise<Set<string>> {
  const anyRelease = !ecosystem.includes(':');
  const keyIds: number[] = [];
  for (let start = 0; start < names.length; start += CHUNK) {
    const rows = await db
      .selectFrom('inventory_package_keys')
      .select('id')
      .where('package', 'in', names.slice(start, start + CHUNK))
      .where((eb) => (anyRelease ? eb.or([eb('ecosystem', '=', ecosystem), eb('ecosystem', 'like', `${ecosystem}:%`)]) : eb('ecosystem', '=', ecosystem)))
      .execute();
    for (const row of rows) keyIds.push(row.id);
  }
  const digestIds = new Set<number>();
  for (let start = 0; start < keyIds.length; start += CHUNK) {
    const rows = await db.selectFrom('inventory_postings').select('digests').where('key_id', 'in', keyIds.slice(start, start + CHUNK)).execute();
    for (const row of rows) for (const id of row.digests.split(',')) digestIds.add(Number(id));
  }
  const ids = [...digestIds];
  const digests = new Set<string>();
  for (let start = 0; start < ids.length; start += CHUNK) {
    // A digest pruned since its batch was written is no longer numbered, and so not found.
    const rows = await db.selectFrom('inventory_digests').select('digest').where('id', 'in', ids.slice(start, start + CHUNK)).execute();
    for (const row of rows) digests.add(row.digest);
  }
  return digests;
}

/**
 * After inventories were pruned: they leave the queue, their digests leave the index (unless
 * another inventory of the digest is kept), and so do the postings of batches no kept digest
 * points at.
 */
export async function pruneIndex(trx: Transaction<Database>, digests: readonly string[]): Promise<void> {
  for (let start = 0; start < digests.length; start += CHUNK) {
    await trx
      .deleteFrom('inventory_index_queue')
      .where('digest', 'in', digests.slice(start, start + CHUNK))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('image_inventories')
              .select('digest')
              .whereRef('image_inventories.digest', '=', 'inventory_index_queue.digest')
              .whereRef('image_inventories.platform', '=', 'inventory_index_queue.platform')
              .whereRef('image_inventories.analysers', '=', 'inventory_index_queue.analysers'),
          ),
        ),
      )
      .execute();
    await trx
      .deleteFrom('inventory_digests')
      .where('digest', 'in', digests.slice(start, start + CHUNK))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('image_inventories').select('digest').whereRef('image_inventories.digest', '=', 'inventory_digests.digest'))))
      .execute();
  }
  const live = trx.selectFrom('inventory_digests').select('batch');
  await trx.deleteFrom('inventory_postings').where('batch', 'not in', live).execute();
  await trx.deleteFrom('inventory_index_batches').where('id', 'not in', trx.selectFrom('inventory_digests').select('batch')).execute();
}
