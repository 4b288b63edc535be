import { Kysely, PostgresDialect } from 'kysely';
import { type CustomTypesConfig, Pool, type PoolConfig, types as pgTypes } from 'pg';
import type { Database } from '../tables.js';

/** The one thing this module logs; a pino logger fits it. */
export interface PoolLogger {
  warn(fields: object, message: string): void;
}

export interface PostgresOptions {
  /** Connections this process may hold at once. */
  poolSize: number;
  /** Server-side limit on each statement and on a transaction left idle; 0 turns both off. */
  statementTimeoutMs: number;
  /** How long to wait for a connection, new or free from the pool. Default 5 s. */
  connectTimeoutMs?: number;
  logger?: PoolLogger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
// statement_timeout is enforced by the server, so it cannot fire when the server stops
// answering altogether; the client gives up on its own this long after it.
const CLIENT_TIMEOUT_GRACE_MS = 5_000;

function parseInt8(text: string): number {
  const value = Number(text);
  // Times (Unix ms), ids and counts stay far below 2^53; anything beyond would be silently rounded.
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is beyond the safe integer range`);
  return value;
}

/**
 * pg hands int8 back as strings (OID 20 may exceed 2^53); every int8 column of this schema
 * is a time, id or count, so it is parsed to a number. Set per pool, not in pg's global
 * registry, so other pg users in the process keep their parsing. double precision (OID 701)
 * is already a number with pg's default parsers.
 */
const SCHEMA_TYPES: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === pgTypes.builtins.INT8 && format !== 'binary' ? parseInt8 : pgTypes.getTypeParser(oid, format),
};

type TimeoutSettings = Pick<PoolConfig, 'statement_timeout' | 'idle_in_transaction_session_timeout' | 'query_timeout'>;

function timeoutSettings(statementTimeoutMs: number): TimeoutSettings {
  if (statementTimeoutMs <= 0) return {};
  return {
    statement_timeout: statementTimeoutMs,
    // A process that stalls inside a transaction would otherwise hold its row locks (and leases) indefinitely.
    idle_in_transaction_session_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
  };
}

/** Opens a pool on the PostgreSQL database at `url`; connections are made on first use. */
export function openPostgres(url: string, options: PostgresOptions): Kysely<Database> {
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'ecrscan',
    types: SCHEMA_TYPES,
    ...timeoutSettings(options.statementTimeoutMs),
  });
  // An idle connection the server drops (restart, failover, idle timeout) is reported here;
  // unhandled, the 'error' event would end the process. The pool discards the connection.
  pool.on('error', (err) => options.logger?.warn({ err }, 'idle database connection failed'));
  // A connection lost while checked out also emits 'error' on its client, with no pool
  // listener attached; the query in flight rejects with the same error, so nothing is lost here.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
