import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { databases } from '../../../test/support/databases.js';
import { storeRevisionReader } from '../configs-repo.js';
import { openStore } from '../open-store.js';
import type { RevisionSource } from '../revision-source.js';
import { openPostgres } from './open-postgres.js';
import { listenForRevisions } from './revision-listener.js';

const dialect = (await databases()).find((candidate) => candidate.name === 'postgres');

const NEW_CONFIG = { region: 'us-east-1', registry: '123456789012', repository: 'app', tags: null, schedule: 'rate(1 day)', scanner: 'ecr', platform: null } as const;

/** Polls until `check` holds, failing after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Waits until a read costs no database read: the listening connection is up. */
async function answeringFromMemory(revisions: RevisionSource, counted: { reads: number }): Promise<void> {
  await eventually(async () => {
    const before = counted.reads;
    await revisions.current();
    return counted.reads === before;
  }, 'answering from memory');
}

if (!dialect) {
  it.skip('store revision notifications (PostgreSQL not available)');
} else {
  /** A migrated database, a pool on it, and a listener whose database reads are counted. */
  async function listening(t: TestContext) {
    const url = await dialect!.createDatabase();
    await (await openStore(url)).close();
    const db = openPostgres(url, { poolSize: 2, statementTimeoutMs: 5_000 });
    const read = storeRevisionReader(db);
    const counted = { reads: 0 };
    const revisions = listenForRevisions({
      url,
      read: () => {
        counted.reads++;
        return read();
      },
      retryMs: 50,
    });
    t.after(async () => {
      await revisions.close();
      await db.destroy();
    });
    const bump = () => sql`update store_meta set value = value + 1 where key = 'revision'`.execute(db);
    return { url, db, revisions, counted, bump };
  }

  describe('store revision notifications (PostgreSQL)', () => {
    it('answers from memory once listening, and moves with every committed write', async (t) => {
      const { revisions, counted, bump } = await listening(t);
      const first = await revisions.current();
      // The first reads ask the database while the listening connection comes up.
      await answeringFromMemory(revisions, counted);
      const reads = counted.reads;
      for (let i = 0; i < 100; i++) assert.equal(await revisions.current(), first);
      assert.equal(counted.reads, reads, 'no database read while nothing changed');

      await bump();
      await eventually(async () => (await revisions.current()) === first + 1, 'learning the new revision');
      assert.equal(counted.reads, reads, 'learnt from the notification, not by reading');
    });

    it('does not move for a write that rolls back', async (t) => {
      const { db, revisions, counted, bump } = await listening(t);
      await answeringFromMemory(revisions, counted);
      const before = await revisions.current();
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`update store_meta set value = value + 1 where key = 'revision'`.execute(trx);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      // Were the rolled-back write notified, the revision in memory would run ahead of the database.
      await sleep(300);
      assert.equal(await revisions.current(), before);
      await bump();
      await eventually(async () => (await revisions.current()) === before + 1, 'the committed write');
    });

    it('reads again after a write of its own, so the writer sees it at once', async (t) => {
      const { revisions, counted, bump } = await listening(t);
      await answeringFromMemory(revisions, counted);
      const before = await revisions.current();
      await bump();
      revisions.written();
      assert.equal(await revisions.current(), before + 1);
    });

    it('reads per request while its connection is lost, and listens again once it is back', async (t) => {
      const { db, revisions, counted, bump } = await listening(t);
      await answeringFromMemory(revisions, counted);
      const { rows } = await sql<{ ended: boolean }>`
        select pg_terminate_backend(pid) as ended from pg_stat_activity
        where application_name = 'ecrscan-revisions' and datname = current_database()`.execute(db);
      assert.deepEqual(rows, [{ ended: true }]);
      // Lost: every read asks the database, so a write is seen at once even without notifications.
      await eventually(async () => {
        const before = counted.reads;
        await revisions.current();
        return counted.reads > before;
      }, 'falling back to reads');
      const during = await revisions.current();
      await bump();
      // Either still reading (sees the write) or listening again after a read that saw it.
      await eventually(async () => (await revisions.current()) === during + 1, 'seeing the write while reconnecting');
      await answeringFromMemory(revisions, counted);
      await bump();
      await eventually(async () => (await revisions.current()) === during + 2, 'a notification after reconnecting');
    });

    it('lets a store in one process see registrations made through another', async (t) => {
      const url = await dialect.createDatabase();
      const reader = await openStore(url);
      const writer = await openStore(url);
      t.after(async () => {
        await reader.close();
        await writer.close();
      });
      const before = await reader.revision();
      await writer.createConfig(NEW_CONFIG, new Date());
      await eventually(async () => (await reader.revision()) > before, "the other store's write");
      const seen = await reader.revision();
      await reader.createConfig({ ...NEW_CONFIG, repository: 'api' }, new Date());
      assert.ok((await reader.revision()) > seen, 'its own write is seen at once');
      assert.equal((await reader.listConfigs()).length, 2);
    });
  });
}
