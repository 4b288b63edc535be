import { parentPort } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { StoreWrites } from '../kysely-store.js';
import type { Database } from '../tables.js';
import { openConnection } from './open-sqlite.js';
import { cachingDatabase, createStatementCache, type StatementCache } from './statement-cache.js';
import { asBuffer, toWriterError, type WriterReply, type WriterRequest } from './writer-protocol.js';

/**
 * The writer thread: owns the connections every write of the store goes through, so that
 * SQLite's work for a write (B-tree updates, the fsync of each commit, a whole scan's
 * commit) never holds the event loop that serves the API. Each store sends one request at
 * a time (it holds its write lock meanwhile), so one store's requests never interleave.
 */
const port = parentPort;
if (!port) throw new Error('the SQLite writer runs as a worker thread');

interface Connection {
  database: SqliteDatabase.Database;
  statements: StatementCache;
  db: Kysely<Database>;
}

const connections = new Map<number, Connection>();
// Loaded on the first of the store's own writes: a connection that only takes statements does not pay for it.
let kyselyStore: Promise<typeof import('../kysely-store.js')> | null = null;
const stores = new Map<number, Promise<StoreWrites>>();

/** The store over this connection, whose write methods run here whole. */
function storeOf(handle: number, db: Kysely<Database>): Promise<StoreWrites> {
  let store = stores.get(handle);
  if (!store) {
    kyselyStore ??= import('../kysely-store.js');
    store = kyselyStore.then(({ createKyselyStore }) => createKyselyStore(db, { dialect: 'sqlite' }));
    stores.set(handle, store);
  }
  return store;
}

function connectionOf(handle: number): Connection {
  const connection = connections.get(handle);
  if (!connection) throw new Error('the database connection is closed');
  return connection;
}

async function handle(request: WriterRequest): Promise<WriterReply> {
  const done = (value?: unknown): WriterReply => ({ id: request.id, ok: true, rows: [], changes: null, lastInsertRowid: null, value });
  switch (request.kind) {
    case 'open': {
      const database = openConnection(request.file);
      const statements = createStatementCache(database);
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(database, statements) }) });
      connections.set(request.handle, { database, statements, db });
      return done();
    }
    case 'close': {
      const connection = connections.get(request.handle);
      connections.delete(request.handle);
      stores.delete(request.handle);
      connection?.database.close();
      return done();
    }
    case 'store': {
      const store = await storeOf(request.handle, connectionOf(request.handle).db);
      const write = store[request.method] as (...args: unknown[]) => Promise<unknown>;
      return done(await write(...request.args));
    }
    case 'query': {
      const statement = connectionOf(request.handle).statements.prepare(request.sql);
      const parameters = request.parameters.map(asBuffer);
      if (statement.reader) return { id: request.id, ok: true, rows: statement.all(parameters), changes: null, lastInsertRowid: null, value: null };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { id: request.id, ok: true, rows: [], changes, lastInsertRowid, value: null };
    }
  }
}

port.on('message', (request: WriterRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: toWriterError(err) } satisfies WriterReply),
  );
});
