import assert from 'node:assert/strict';
import { it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { createStatementCache } from './statement-cache.js';

it('hands out one prepared statement per SQL text, dropping the least recently used past its bound', (t) => {
  const database = new SqliteDatabase(':memory:');
  t.after(() => database.close());
  const cache = createStatementCache(database, 2);
  const one = cache.prepare('select 1 as n');
  assert.equal(cache.prepare('select 1 as n'), one, 'the same statement again');
  const two = cache.prepare('select 2 as n');
  cache.prepare('select 1 as n'); // now the most recently used
  cache.prepare('select 3 as n'); // drops "select 2", the least recently used
  assert.equal(cache.size, 2);
  assert.equal(cache.prepare('select 1 as n'), one);
  assert.notEqual(cache.prepare('select 2 as n'), two, 'prepared afresh after it was dropped');
});

it('keeps a cached statement right when the schema changes under it', (t) => {
  const database = new SqliteDatabase(':memory:');
  t.after(() => database.close());
  const cache = createStatementCache(database);
  database.exec('create table t (a integer)');
  database.exec('insert into t values (1)');
  assert.deepEqual(cache.prepare('select * from t').all(), [{ a: 1 }]);
  database.exec('alter table t add column b text default \'x\'');
  assert.deepEqual(cache.prepare('select * from t').all(), [{ a: 1, b: 'x' }], 'SQLite re-prepares it on the new schema');
});
