import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { DeliveriesRepresentation, SubscriptionRepresentation, TestAccepted } from '../../notify/subscription-schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable } from '../table.js';

const SubscriptionList = Type.Array(SubscriptionRepresentation);
type SubscriptionRepresentation = Static<typeof SubscriptionRepresentation>;

export const SUBSCRIPTIONS_HELP = `Usage:
  ecrscan subscriptions list [--json]             list webhook subscriptions
  ecrscan subscriptions add URL [--format F]      subscribe URL to every event (F: json, slack, cloudevents)
  ecrscan subscriptions add FILE                  subscribe with the request body in FILE (JSON; - reads stdin)
  ecrscan subscriptions rm ID                     remove a subscription and its queued messages
  ecrscan subscriptions test ID                   send a sample message and wait for its delivery

"add" prints the secret that signs every message: it is shown once.
Options: --url URL (or ECRSCANAPI_URL), --json, --format F, --timeout SECONDS (test, default 30)`;

/** Flags of this command, declared with the CLI's others. */
export const SUBSCRIPTIONS_FLAGS = { format: { type: 'string' } } as const;

export interface SubscriptionsOptions {
  json: boolean;
  format: string | undefined;
  timeoutMs: number;
}

export async function subscriptionsCommand(client: ApiClient, args: string[], options: SubscriptionsOptions, out: (text: string) => void): Promise<void> {
  const [action, target, ...rest] = args;
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"\n${SUBSCRIPTIONS_HELP}`, 2);
  if (options.format !== undefined && action !== 'add') throw new CliError('--format goes with "subscriptions add"', 2);
  switch (action) {
    case 'list':
    case 'ls':
      return listSubscriptions(client, options.json, out);
    case 'add':
      if (!target) throw new CliError('subscriptions add needs a webhook URL or a FILE with the request body as JSON', 2);
      return addSubscription(client, target, options, out);
    case 'rm':
    case 'delete':
      if (!target) throw new CliError('subscriptions rm needs the ID of a subscription', 2);
      await client.request('DELETE', `/subscriptions/${encodeURIComponent(target)}`);
      out(`removed ${target}`);
      return;
    case 'test':
      if (!target) throw new CliError('subscriptions test needs the ID of a subscription', 2);
      return testSubscription(client, target, options.timeoutMs, out);
    default:
      throw new CliError(action ? `unknown subscriptions action "${action}"\n${SUBSCRIPTIONS_HELP}` : SUBSCRIPTIONS_HELP, 2);
  }
}

async function listSubscriptions(client: ApiClient, json: boolean, out: (text: string) => void): Promise<void> {
  const { body, text } = await client.request('GET', '/subscriptions/');
  if (!Value.Check(SubscriptionList, body)) throw new CliError('the server answered with an unexpected subscription list');
  if (json) return out(text);
  if (body.length === 0) return out('no subscriptions; add one with "ecrscan subscriptions add URL"');
  out(formatTable(['ID', 'URL', 'FORMAT', 'DIGEST', 'STATUS', 'LAST DELIVERY'], body.map(subscriptionRow)));
}

function subscriptionRow(subscription: SubscriptionRepresentation): string[] {
  const status = subscription.status === 'failing' ? `failing (${subscription.consecutiveFailures} failures)` : subscription.status;
  return [subscription.id, subscription.url, subscription.format, subscription.digest, status, subscription.lastDeliveryAt ?? '-'];
}

async function requestBody(target: string, format: string | undefined): Promise<unknown> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return { url: target, ...(format !== undefined ? { format } : {}) };
  if (format !== undefined) throw new CliError('--format goes with a URL; put "format" in the FILE instead', 2);
  let raw: string;
  try {
    raw = target === '-' ? await readStdin() : await readFile(target, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new CliError(`${target} is not valid JSON`);
  }
}

async function addSubscription(client: ApiClient, target: string, options: SubscriptionsOptions, out: (text: string) => void): Promise<void> {
  const created = await client.request('POST', '/subscriptions/', { body: await requestBody(target, options.format) });
  if (options.json) return out(created.text);
  if (!Value.Check(SubscriptionRepresentation, created.body)) throw new CliError('the server answered with an unexpected subscription');
  out(`added ${created.body.id} (${created.body.format} to ${created.body.url})`);
  out(`secret: ${created.body.secret ?? '(not shown)'}`);
  out('Keep the secret to verify the webhook-signature header; it is not shown again.');
}

/** Queues a sample and follows it until the receiver answered, so a broken target shows at once. */
async function testSubscription(client: ApiClient, id: string, timeoutMs: number, out: (text: string) => void): Promise<void> {
  const path = `/subscriptions/${encodeURIComponent(id)}`;
  const queued = await client.request('POST', `${path}/test`);
  if (!Value.Check(TestAccepted, queued.body)) throw new CliError('the server answered with an unexpected test receipt');
  const { messageId } = queued.body;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await client.request('GET', `${path}/deliveries?limit=20`);
    if (!Value.Check(DeliveriesRepresentation, body)) throw new CliError('the server answered with an unexpected delivery list');
    const delivery = body.deliveries.find((candidate) => candidate.messageId === messageId);
    if (delivery?.status === 'delivered') return out(`delivered ${messageId} (HTTP ${delivery.lastStatusCode ?? '?'})`);
    if (delivery?.status === 'failed') throw new CliError(`test message ${messageId} failed: ${delivery.lastError ?? 'no detail'}`);
    if (Date.now() > deadline) {
      const last = delivery?.lastError ? `; last attempt: ${delivery.lastError}` : '';
      throw new CliError(`test message ${messageId} not delivered within ${Math.round(timeoutMs / 1000)} s${last}; is a scheduler process running?`);
    }
    await sleep(250);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
