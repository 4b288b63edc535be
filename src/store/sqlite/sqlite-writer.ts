import { Worker } from 'node:worker_threads';
import type { StoreWrites } from '../kysely-store.js';
import { asBuffer, fromWriterError, type WriterReply, type WriterRequestBody } from './writer-protocol.js';

export interface WriteResult {
  rows: unknown[];
  changes: number | null;
  lastInsertRowid: number | bigint | null;
}

/** One store's connection on the writer thread. Requests are sent one at a time, under the store's write lock. */
export interface SqliteWriter {
  query(sql: string, parameters: readonly unknown[]): Promise<WriteResult>;
  /** One of the store's own writes, run whole on the writer thread. */
  store(method: keyof StoreWrites, args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

type Pending = { resolve: (reply: WriterReply & { ok: true }) => void; reject: (err: Error) => void };

interface WriterThread {
  send(handle: number, request: WriterRequestBody): Promise<WriterReply & { ok: true }>;
}

let thread: WriterThread | null = null;
let nextHandle = 1;

/** Opens a connection to `file` on the process's writer thread, starting the thread the first time. */
export async function openSqliteWriter(file: string): Promise<SqliteWriter> {
  thread ??= startThread(() => {
    thread = null;
  });
  const writer = thread;
  const handle = nextHandle++;
  await writer.send(handle, { kind: 'open', file });
  let closed = false;
  return {
    async query(sql, parameters) {
      const reply = await writer.send(handle, { kind: 'query', sql, parameters });
      return { rows: asRows(reply.rows), changes: reply.changes, lastInsertRowid: reply.lastInsertRowid };
    },
    async store(method, args) {
      return (await writer.send(handle, { kind: 'store', method, args })).value;
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.send(handle, { kind: 'close' }).catch(() => undefined);
    },
  };
}

/**
 * One thread for the process, kept while it lives: idle, it does not keep the process
 * alive; with a request out, it does. `onStop` forgets it if it ever stops, so that the
 * next store starts another.
 */
function startThread(onStop: () => void): WriterThread {
  const worker = startWorker();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | null = null;
  worker.unref();

  function fail(err: Error): void {
    stopped ??= err;
    onStop();
    for (const { reject } of pending.values()) reject(stopped);
    pending.clear();
  }
  worker.on('message', (reply: WriterReply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.ok) waiting.resolve(reply);
    else waiting.reject(fromWriterError(reply.error));
  });
  worker.on('error', (err) => fail(new Error(`the database writer thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`the database writer thread stopped (exit code ${code})`)));

  return {
    send(handle, request) {
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (pending.size === 1) worker.ref();
        worker.postMessage({ ...request, id, handle });
      });
    },
  };
}

/** Rows as the store's own connection gives them: blobs as `Buffer`s. */
function asRows(rows: unknown[]): unknown[] {
  for (const row of rows) {
    if (row === null || typeof row !== 'object') continue;
    const fields = row as Record<string, unknown>;
    for (const key in fields) fields[key] = asBuffer(fields[key]);
  }
  return rows;
}

/**
 * From the compiled service the worker is a `.js` file beside this one; from the sources
 * (tests, `tsx`), the TypeScript loader is registered in the worker first.
 */
function startWorker(): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./sqlite-writer-worker.js', import.meta.url));
  const entry = JSON.stringify(new URL('./sqlite-writer-worker.ts', import.meta.url).href);
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${loader}).then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true });
}
