import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { databases } from '../../../test/support/databases.js';
import { createKyselyStore } from '../kysely-store.js';
import { openStore } from '../open-store.js';
import { openPostgres } from './open-postgres.js';

const dialect = (await databases()).find((candidate) => candidate.name === 'postgres');

if (!dialect) {
  it.skip('PostgreSQL connections (PostgreSQL not available)');
} else {
  describe('connections', () => {
    it('reads int8 and double precision as numbers without changing pg\'s global parsers', async (t) => {
      const db = openPostgres(await dialect.createDatabase(), { poolSize: 1, statementTimeoutMs: 5_000 });
      t.after(() => db.destroy());
      const { rows } = await sql<{ big: unknown; score: unknown; n: unknown }>`
        select 9007199254740991::int8 as big, 7.5::float8 as score, count(*) as n from (values (1), (2)) as v(x)`.execute(db);
      assert.deepEqual(rows, [{ big: Number.MAX_SAFE_INTEGER, score: 7.5, n: 2 }]);
      await assert.rejects(sql`select 9007199254740993::int8 as big`.execute(db), /beyond the safe integer range/);
      assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8)('20'), '20');
    });

    it('cancels a statement that runs past the statement timeout', async (t) => {
      const db = openPostgres(await dialect.createDatabase(), { poolSize: 1, statementTimeoutMs: 200 });
      t.after(() => db.destroy());
      const started = performance.now();
      await assert.rejects(sql`select pg_sleep(5)`.execute(db), { code: '57014' });
      assert.ok(performance.now() - started < 3_000);
      assert.deepEqual((await sql`select 1 as one`.execute(db)).rows, [{ one: 1 }]);
    });

    it('bounds the wait for a free connection', async (t) => {
      const db = openPostgres(await dialect.createDatabase(), { poolSize: 1, statementTimeoutMs: 5_000, connectTimeoutMs: 300 });
      t.after(() => db.destroy());
      let release = (): void => undefined;
      const holding = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise<void>((resolve) => (release = resolve));
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await assert.rejects(sql`select 1`.execute(db), /timeout/i);
      assert.ok(performance.now() - started < 2_000);
      release();
      await holding;
    });

    it('survives the server ending a transaction left idle, and goes on', async (t) => {
      const db = openPostgres(await dialect.createDatabase(), { poolSize: 1, statementTimeoutMs: 200 });
      t.after(() => db.destroy());
      // The server terminates the session while it is checked out of the pool; pg reports that
      // as an 'error' event on the client, which would end the process if nobody listened.
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await sql`select 1`.execute(trx);
          await new Promise((resolve) => setTimeout(resolve, 700));
          await sql`select 1`.execute(trx);
        }),
      );
      assert.deepEqual((await sql`select 1 as one`.execute(db)).rows, [{ one: 1 }]);
    });
  });

  describe('connection loss', () => {
    it('fails ping within its timeout when the server stops answering', async (t) => {
      if (!dialect.server) {
        t.skip('needs a throwaway server whose processes this test may pause');
        return;
      }
      const db = openPostgres(await dialect.createDatabase(), { poolSize: 1, statementTimeoutMs: 30_000 });
      const store = createKyselyStore(db, { dialect: 'postgres' });
      t.after(() => store.close());
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      const pid = rows[0]?.pid;
      assert.ok(pid);
      process.kill(pid, 'SIGSTOP');
      try {
        const started = performance.now();
        await assert.rejects(store.ping(), /did not answer/);
        const elapsed = performance.now() - started;
        t.diagnostic(`ping gave up on a server that stopped answering after ${elapsed.toFixed(0)} ms`);
        assert.ok(elapsed < 5_000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await store.ping();
    });

    it('fails ping promptly while the server is down and recovers when it is back', async (t) => {
      const server = dialect.server;
      if (!server) {
        t.skip('needs a throwaway server to stop; TEST_DATABASE_URL names a shared one');
        return;
      }
      const warnings: string[] = [];
      const url = await dialect.createDatabase();
      const store = await openStore(url, { poolSize: 4, logger: { warn: (_fields, message) => warnings.push(message) } });
      t.after(() => store.close());
      // Idle pooled connections the shutdown will cut.
      await Promise.all([store.ping(), store.listConfigs(), store.summary()]);
      await server.stop();
      try {
        const started = performance.now();
        await assert.rejects(store.ping());
        const elapsed = performance.now() - started;
        t.diagnostic(`ping rejected after ${elapsed.toFixed(0)} ms with the server down`);
        assert.ok(elapsed < 5_000, `ping took ${elapsed.toFixed(0)} ms to fail`);
        await assert.rejects(store.listConfigs());
        assert.ok(warnings.includes('idle database connection failed'), `warnings: ${warnings.join('; ')}`);
      } finally {
        await server.start();
      }
      await store.ping();
      assert.deepEqual(await store.listConfigs(), []);
      await store.createConfig(
        { region: null, registry: 'ghcr.io', repository: 'team/app', tags: null, schedule: null, scanner: 'builtin', platform: null },
        new Date(),
      );
      assert.equal((await store.listConfigs()).length, 1);
    });
  });
}
