import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from '../kysely-store.js';
import { openSqlite } from './open-sqlite.js';
import { createWriteLock, openSplitSqlite } from './split-sqlite.js';

async function migratedFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-split-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'scan.db');
  const db = openSqlite(file);
  await migrateToLatest(db);
  await db.destroy();
  return file;
}

it('reads the last committed state while a write transaction is open, without waiting for it', async (t) => {
  const { db } = await openSplitSqlite(await migratedFile(t));
  t.after(() => db.destroy());
  const revision = async (): Promise<number> => Number((await db.selectFrom('store_meta').select('value').where('key', '=', 'revision').executeTakeFirstOrThrow()).value);
  const before = await revision();
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let seenInside = -1;
  const writing = db.transaction().execute(async (trx) => {
    await trx.updateTable('store_meta').set({ value: before + 10 }).where('key', '=', 'revision').execute();
    // The transaction sees its own write (its reads go to the writer's connection) …
    seenInside = Number((await trx.selectFrom('store_meta').select('value').where('key', '=', 'revision').executeTakeFirstOrThrow()).value);
    await held;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  // … while a read outside it answers at once, from before the transaction.
  assert.equal(await revision(), before);
  release();
  await writing;
  assert.equal(seenInside, before + 10);
  assert.equal(await revision(), before + 10, 'the commit is seen by the next read');
});

it('runs writes one at a time, in the order asked, and keeps SQLite errors with their code', async (t) => {
  const { db } = await openSplitSqlite(await migratedFile(t));
  t.after(() => db.destroy());
  const order: string[] = [];
  const slow = db.transaction().execute(async (trx) => {
    order.push('first begins');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await trx.insertInto('store_meta').values({ key: 'first', value: 1 }).execute();
    order.push('first ends');
  });
  const single = db.insertInto('store_meta').values({ key: 'second', value: 2 }).execute().then(() => order.push('second'));
  await Promise.all([slow, single]);
  assert.deepEqual(order, ['first begins', 'first ends', 'second']);
  await assert.rejects(
    db.insertInto('store_meta').values({ key: 'second', value: 3 }).execute(),
    (err: Error & { code?: string }) => err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' && /UNIQUE constraint failed/.test(err.message),
  );
  const failed = db.transaction().execute(async (trx) => {
    await trx.insertInto('store_meta').values({ key: 'third', value: 3 }).execute();
    throw new Error('changed my mind');
  });
  await assert.rejects(failed, /changed my mind/);
  assert.equal(await db.selectFrom('store_meta').select('key').where('key', '=', 'third').executeTakeFirst(), undefined, 'rolled back');
  // The writer is free again after the rollback.
  await db.insertInto('store_meta').values({ key: 'fourth', value: 4 }).execute();
});

it('writes nothing through the reading connection', async (t) => {
  const { db } = await openSplitSqlite(await migratedFile(t));
  t.after(() => db.destroy());
  // A write that returns rows is still a write: it goes to the writer thread and commits.
  const inserted = await db.insertInto('store_meta').values({ key: 'returned', value: 7 }).returning('value').executeTakeFirstOrThrow();
  assert.equal(Number(inserted.value), 7);
  assert.equal(Number((await sql<{ v: number }>`select value as v from store_meta where key = 'returned'`.execute(db)).rows[0]?.v), 7);
});

it('lets a waiting request write go before waiting background writes, each kind in order', async () => {
  const lock = createWriteLock();
  const order: string[] = [];
  let finishFirst!: () => void;
  const first = lock.exclusive(() => new Promise<void>((resolve) => (finishFirst = resolve)).then(() => void order.push('commit under way')));
  const later = [
    lock.exclusive(async () => void order.push('commit 2'), 'background'),
    lock.exclusive(async () => void order.push('commit 3'), 'background'),
    lock.exclusive(async () => void order.push('registration 1'), 'request'),
    lock.exclusive(async () => void order.push('registration 2'), 'request'),
  ];
  await new Promise((resolve) => setTimeout(resolve, 10));
  finishFirst();
  await Promise.all([first, ...later]);
  assert.deepEqual(order, ['commit under way', 'registration 1', 'registration 2', 'commit 2', 'commit 3']);
});
