import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with what the Standard Webhooks library made of its signature. */
export interface ReceivedMessage {
  path: string;
  headers: IncomingHttpHeaders;
  id: string;
  body: string;
  /** Parsed body when some trusted secret verified the signature; null when none did. */
  verified: unknown;
  /** Which trusted secrets verify the signature on their own. */
  verifiedBy: string[];
  /** What the receiver answered (0 until it answers, and when it hangs or the sender went away). */
  answeredWith: number;
  /** When the request arrived, and when it was answered or the connection closed (null while open). */
  at: number;
  done: number | null;
}

export type ReceiverMode =
  | { kind: 'ok' }
  | { kind: 'fail'; status: number }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'throttle'; retryAfterSeconds: number };

/**
 * A webhook receiver as a user would run one: plain node:http, every signature checked by
 * the specification's own `standardwebhooks` package (never the service's code), every
 * request recorded. It can be told to fail, hang, answer 429, or go away and come back on
 * the same port.
 */
export interface WebhookReceiver {
  url: string;
  port: number;
  messages: ReceivedMessage[];
  /** Secrets accepted for a path (one subscription each). */
  trust(path: string, secret: string): void;
  /** How to answer from now on; by default per path, else for every path. */
  mode(mode: ReceiverMode, path?: string): void;
  /** Stops listening (connections refused) until `up`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Messages that were answered 2xx, in arrival order, once per webhook-id. */
  accepted(path?: string): ReceivedMessage[];
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const messages: ReceivedMessage[] = [];
  const secrets = new Map<string, string[]>();
  const modes = new Map<string, ReceiverMode>();
  let defaultMode: ReceiverMode = { kind: 'ok' };
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server;

  function answer(res: ServerResponse, mode: ReceiverMode, message: ReceivedMessage): void {
    const reply = (status: number, headers: Record<string, string> = {}, text = ''): void => {
      if (res.destroyed) return;
      res.writeHead(status, headers).end(text);
      message.answeredWith = status;
      message.done = Date.now();
    };
    switch (mode.kind) {
      case 'ok':
        return reply(204);
      case 'fail':
        return reply(mode.status, { 'content-type': 'text/plain' }, 'receiver failing on purpose');
      case 'throttle':
        return reply(429, { 'retry-after': String(mode.retryAfterSeconds) }, 'slow down');
      case 'delay':
        setTimeout(() => reply(204), mode.ms);
        return;
      case 'hang':
        return;
    }
  }

  function listen(): Server {
    const created = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const headers: Record<string, string> = {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        };
        const verifiedBy: string[] = [];
        let verified: unknown = null;
        for (const secret of secrets.get(path) ?? []) {
          try {
            verified = new Webhook(secret).verify(body, headers);
            verifiedBy.push(secret);
          } catch {
            // Not this secret.
          }
        }
        const message: ReceivedMessage = { path, headers: req.headers, id: headers['webhook-id'] ?? '', body, verified, verifiedBy, answeredWith: 0, at: Date.now(), done: null };
        messages.push(message);
        res.on('close', () => {
          message.done ??= Date.now();
        });
        answer(res, modes.get(path) ?? defaultMode, message);
      });
    });
    created.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return created;
  }

  async function up(): Promise<void> {
    server = listen();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  }

  async function down(): Promise<void> {
    const closing = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closing;
  }

  await up();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    trust(path, secret) {
      secrets.set(path, [...(secrets.get(path) ?? []), secret]);
    },
    mode(mode, path) {
      if (path) modes.set(path, mode);
      else {
        defaultMode = mode;
        modes.clear();
      }
    },
    down,
    up,
    accepted(path) {
      const seen = new Set<string>();
      return messages.filter((message) => {
        if (path && message.path !== path) return false;
        if (message.answeredWith < 200 || message.answeredWith >= 300 || seen.has(message.id)) return false;
        seen.add(message.id);
        return true;
      });
    },
    async waitFor(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: down,
  };
}
