/**
 * Where a store's readers learn its revision. Caches and validators ask on every
 * request, so on PostgreSQL the answer is kept in memory and moved by notifications
 * (`postgres/revision-listener.ts`); otherwise it is read from the database each time.
 */
export interface RevisionSource {
  current(): Promise<number>;
  /** Told after each of this process's writes, so that its next read sees the write. */
  written(): void;
  close(): Promise<void>;
  /** Calls `listener` whenever another process's write is learnt of (PostgreSQL notifications). */
  watch?(listener: () => void): void;
}

export function queriedRevisions(read: () => Promise<number>): RevisionSource {
  return { current: read, written: () => undefined, close: async () => undefined };
}
