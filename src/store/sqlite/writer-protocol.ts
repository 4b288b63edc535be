import type { StoreWrites } from '../kysely-store.js';

/**
 * What the store's thread asks the writer thread (`sqlite-writer-worker.ts`). One thread
 * serves every store of the process (a service has one; test files open many), each
 * store's connection named by its `handle`.
 */
export type WriterRequest = { id: number; handle: number } & WriterRequestBody;

export type WriterRequestBody =
  | { kind: 'open'; file: string }
  | { kind: 'close' }
  | { kind: 'query'; sql: string; parameters: readonly unknown[] }
  | { kind: 'store'; method: keyof StoreWrites; args: unknown[] };

export type WriterReply =
  | { id: number; ok: true; rows: unknown[]; changes: number | null; lastInsertRowid: number | bigint | null; value: unknown }
  | { id: number; ok: false; error: WriterError };

/** An error crossing the thread boundary: SQLite's code (`SQLITE_CONSTRAINT_UNIQUE`, …) kept. */
export interface WriterError {
  name: string;
  message: string;
  code: string | null;
}

export function toWriterError(err: unknown): WriterError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), code: null };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, code: typeof code === 'string' ? code : null };
}

export function fromWriterError(error: WriterError): Error {
  const err = new Error(error.message);
  err.name = error.name;
  if (error.code !== null) Object.assign(err, { code: error.code });
  return err;
}

/** Byte arrays arrive from the other thread as plain `Uint8Array`s; SQLite and readers of rows expect `Buffer`s. */
export function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}
