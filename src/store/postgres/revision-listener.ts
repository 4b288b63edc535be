import { Client, type Notification } from 'pg';
import type { RevisionSource } from '../revision-source.js';
import type { PoolLogger } from './open-postgres.js';

/**
 * The channel a trigger on `store_meta` notifies with each new revision (migration
 * 2026-12-01-revision-notify, which keeps its own copy of the name).
 */
const REVISION_CHANNEL = 'ecrscan_store_revision';

export interface RevisionListenerOptions {
  url: string;
  /** Reads the revision from the database: before the first notification, and whenever not listening. */
  read: () => Promise<number>;
  logger?: PoolLogger;
  connectTimeoutMs?: number;
  /** Pause before the first reconnection attempt; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * The store revision kept in memory and moved by PostgreSQL's notifications, so that a
 * cached page costs no round trip to the server. A notification is delivered once its
 * transaction has committed, and revisions commit in order (every writer holds the one
 * revision row until its commit), so any revision notified or read is visible with all
 * the writes before it: a page rendered after learning it is at least that new.
 *
 * While the listening connection is down (or not yet up) every read asks the database,
 * as a store without a listener does, and the connection is retried in the background.
 * The connection opens on the first read: processes that only scan never make it.
 */
export function listenForRevisions(options: RevisionListenerOptions): RevisionSource {
  const baseRetryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let client: Client | null = null;
  let listening = false;
  let started = false;
  let closed = false;
  let retryMs = baseRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;
  /** The revision readers may take without asking; null when it must be read. */
  let known: number | null = null;
  let highestNotified = 0;
  const watchers: Array<() => void> = [];
  /**
   * Moves whenever a read in flight may have started too early to be trusted: this process
   * wrote (the read may predate the write), or the listening connection came or went
   * (the read may predate the LISTEN, so later notifications may not cover it).
   */
  let generation = 0;

  function onNotification(message: Notification): void {
    if (message.channel !== REVISION_CHANNEL) return;
    const revision = Number(message.payload);
    if (!Number.isSafeInteger(revision)) return;
    highestNotified = Math.max(highestNotified, revision);
    if (known !== null) known = Math.max(known, revision);
    for (const watcher of watchers) watcher();
  }

  function lose(lost: Client, err: unknown): void {
    if (client !== lost) return;
    const wasListening = listening;
    client = null;
    listening = false;
    known = null;
    generation++;
    lost.removeAllListeners('notification');
    lost.end().catch(() => undefined);
    if (wasListening) options.logger?.warn({ err }, 'lost the database connection that listens for store changes; reading the revision per request until it is back');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed) return;
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  }

  async function connect(): Promise<void> {
    if (closed) return;
    const next = new Client({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      application_name: 'ecrscan-revisions',
    });
    client = next;
    next.on('notification', onNotification);
    next.on('error', (err) => lose(next, err));
    next.on('end', () => lose(next, new Error('the server closed the connection')));
    try {
      await next.connect();
      await next.query(`LISTEN ${REVISION_CHANNEL}`);
    } catch (err) {
      lose(next, err);
      return;
    }
    if (client !== next) return;
    listening = true;
    generation++;
    retryMs = baseRetryMs;
  }

  function start(): void {
    if (started) return;
    started = true;
    void connect();
  }

  return {
    async current() {
      start();
      if (listening && known !== null) return known;
      const trusted = listening;
      const startedAt = generation;
      const revision = await options.read();
      if (trusted && listening && generation === startedAt) known = Math.max(revision, highestNotified);
      return revision;
    },
    written() {
      known = null;
      generation++;
    },
    watch(listener) {
      watchers.push(listener);
      start();
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const open = client;
      client = null;
      listening = false;
      if (open) await open.end().catch(() => undefined);
    },
  };
}
