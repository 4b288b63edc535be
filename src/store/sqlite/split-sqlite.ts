import type SqliteDatabase from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { STORE_WRITES, type StoreWrites } from '../kysely-store.js';
import type { Database } from '../tables.js';
import { openConnection } from './open-sqlite.js';
import { createStatementCache, type StatementCache } from './statement-cache.js';
import { openSqliteWriter, type SqliteWriter } from './sqlite-writer.js';

/**
 * SQLite for the service: reads on this thread, writes on a thread of their own.
 *
 * With one connection, every statement of a write (and a scan's commit of 10,000 findings
 * is some 300 ms of them) ran on the event loop, and a transaction held the connection
 * while reads queued behind it: API requests waited for whole scan commits. Here a
 * statement that only reads runs at once on this thread's connection, which WAL lets read
 * the last committed state while a write is under way; every other statement, and every
 * statement of a transaction (which must see its own writes), goes to the writer thread's
 * connection. Writes run one at a time, as SQLite allows: a transaction holds the write
 * lock from `begin` to `commit`, and a single write statement holds it for itself.
 * The store's own writes (a registration, a claim, a scan's commit …) run whole on the
 * writer thread, one message each: a write then holds the lock for SQLite's time only, not
 * for a round trip through this thread's event loop per statement.
 */
export interface SplitSqlite {
  db: Kysely<Database>;
  /** The store's own writes, each run whole on the writer thread under the write lock. */
  writes: StoreWrites;
}

export async function openSplitSqlite(file: string): Promise<SplitSqlite> {
  const writer = await openSqliteWriter(file);
  const reader = openConnection(file);
  // Nothing written through this connection by mistake: writes belong to the writer thread.
  reader.pragma('query_only = 1');
  const lock = createWriteLock();
  const driver = new SplitDriver(reader, createStatementCache(reader), writer, lock);
  const dialect: Dialect = {
    createAdapter: (): DialectAdapter => new SqliteAdapter(),
    createDriver: (): Driver => driver,
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector => new SqliteIntrospector(db),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
  };
  return {
    db: new Kysely<Database>({ dialect }),
    writes: Object.fromEntries(
      STORE_WRITES.map((method) => [
        method,
        (...args: unknown[]) => lock.exclusive(() => writer.store(method, args), REQUEST_WRITES.has(method) ? 'request' : 'background'),
      ]),
    ) as unknown as StoreWrites,
  };
}

/** What a write is for: a request someone waits on, or the scheduler's and other background work. */
type Urgency = 'request' | 'background';

/**
 * One holder at a time. Waiting requests' writes (registrations, changes, deletions, scan
 * requests) go before waiting background ones (claims, scan commits of 10,000 findings,
 * the webhook relay): a registration then waits for at most the write under way, not for
 * every scan commit queued before it. Within each kind, first come, first served.
 */
interface WriteLock {
  acquire(urgency?: Urgency): Promise<void>;
  release(): void;
  exclusive<T>(work: () => Promise<T>, urgency?: Urgency): Promise<T>;
}

export function createWriteLock(): WriteLock {
  const waiting: Record<Urgency, (() => void)[]> = { request: [], background: [] };
  let held = false;
  const lock: WriteLock = {
    async acquire(urgency = 'background') {
      if (!held) {
        held = true;
        return;
      }
      await new Promise<void>((resolve) => waiting[urgency].push(resolve));
    },
    release() {
      const next = waiting.request.shift() ?? waiting.background.shift();
      // Handed over directly: the lock stays held by the next in line.
      if (next) next();
      else held = false;
    },
    async exclusive(work, urgency) {
      await lock.acquire(urgency);
      try {
        return await work();
      } finally {
        lock.release();
      }
    },
  };
  return lock;
}

/** The store's writes made for a request someone waits on; the others are background work. */
const REQUEST_WRITES: ReadonlySet<keyof StoreWrites> = new Set<keyof StoreWrites>([
  'createConfig',
  'updateConfig',
  'deleteConfig',
  'requestScan',
  'createSuppression',
  'putSuppressions',
  'updateSuppression',
  'deleteSuppression',
]);

class SplitDriver implements Driver {
  constructor(
    private readonly reader: SqliteDatabase.Database,
    private readonly statements: StatementCache,
    private readonly writer: SqliteWriter,
    private readonly lock: WriteLock,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SplitConnection(this.statements, this.writer, this.lock);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).end('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as SplitConnection).abandon();
  }

  async destroy(): Promise<void> {
    this.reader.close();
    await this.writer.close();
  }
}

class SplitConnection implements DatabaseConnection {
  private inTransaction = false;

  constructor(
    private readonly statements: StatementCache,
    private readonly writer: SqliteWriter,
    private readonly lock: WriteLock,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    if (this.inTransaction) return toResult<R>(await this.writer.query(sql, parameters));
    const statement = this.readOnly(sql);
    if (statement) return { rows: statement.all(parameters) as R[] };
    return toResult<R>(await this.lock.exclusive(() => this.writer.query(sql, parameters)));
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.inTransaction ? undefined : this.readOnly(compiledQuery.sql);
    if (!statement) throw new Error('only reads outside a transaction can be streamed from SQLite');
    for (const row of statement.iterate(compiledQuery.parameters)) yield { rows: [row as R] };
  }

  async begin(): Promise<void> {
    await this.lock.acquire();
    this.inTransaction = true;
    try {
      await this.writer.query('begin', []);
    } catch (err) {
      this.abandon();
      throw err;
    }
  }

  async end(command: 'commit' | 'rollback'): Promise<void> {
    try {
      await this.writer.query(command, []);
    } catch (err) {
      // A commit SQLite refused leaves the transaction open on the writer's connection:
      // rolled back here, so that the next writer does not start inside it.
      if (command === 'commit') await this.writer.query('rollback', []).catch(() => undefined);
      throw err;
    } finally {
      this.abandon();
    }
  }

  /** Gives the write lock back, if this connection still holds it. */
  abandon(): void {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    this.lock.release();
  }

  /** The statement prepared on this thread when it only reads (and returns rows); undefined for anything else. */
  private readOnly(sql: string): SqliteDatabase.Statement | undefined {
    let statement: SqliteDatabase.Statement;
    try {
      statement = this.statements.prepare(sql);
    } catch {
      // Left to the writer, whose error (or success, on a schema this connection has not
      // read yet) is the one to report.
      return undefined;
    }
    return statement.readonly && statement.reader ? statement : undefined;
  }
}

function toResult<R>(result: { rows: unknown[]; changes: number | null; lastInsertRowid: number | bigint | null }): QueryResult<R> {
  if (result.changes === null) return { rows: result.rows as R[] };
  return {
    rows: result.rows as R[],
    numAffectedRows: BigInt(result.changes),
    insertId: result.lastInsertRowid === null ? undefined : BigInt(result.lastInsertRowid),
  };
}
