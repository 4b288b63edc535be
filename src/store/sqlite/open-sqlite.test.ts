import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { sql } from 'kysely';
import { openSqlite } from './open-sqlite.js';

it('syncs every commit and keeps temporary files in the data directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-sqlite-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = openSqlite(join(dir, 'data', 'scan.db'));
  t.after(() => db.destroy());
  const pragma = async (name: string): Promise<unknown> => Object.values((await sql.raw(`PRAGMA ${name}`).execute(db)).rows[0] as object)[0];
  assert.equal(await pragma('journal_mode'), 'wal');
  assert.equal(await pragma('synchronous'), 2, 'FULL');
  assert.equal(await pragma('temp_store_directory'), join(dir, 'data'));
});
