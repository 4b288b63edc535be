import { setTimeout as sleep } from 'node:timers/promises';
import { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { EventsPage } from '../../http/event-schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { checkedMinEpss } from './findings-command.js';
import { formatTable } from '../table.js';

type Page = Static<typeof EventsPage>;
type Event = Page['events'][number];

export const EVENTS_HELP = `Usage:
  ecrscan events [--config ID] [--type LIST] [--severity LIST] [--limit N]
                 [--kev] [--fixable] [--min-epss N] [--follow] [--json]

The latest changes the scans made (findings new, fixed, reopened or changed;
images added, removed or moved; scans failing or recovering), oldest first.

Options:
  --config ID        only this configuration's events
  --type LIST        comma-separated event types, e.g. finding.new,finding.fixed
  --severity LIST    severities of finding events, e.g. high,critical
  --kev              finding events of CVEs CISA's KEV catalogue lists now
  --fixable          finding events of findings with a fixed version now
  --min-epss N       finding events of CVEs with an EPSS score of at least N now
  --limit N          how many of the latest events (default 20, up to 1000)
  --follow           keep printing new events as they happen (every 2 s)
  --json             one JSON event per line instead of a table
  --url URL          the server (or ECRSCANAPI_URL)`;

export interface EventsOptions {
  config?: string;
  type?: string;
  severity?: string;
  kev?: boolean;
  fixable?: boolean;
  minEpss?: string;
  limit?: string;
  follow: boolean;
  json: boolean;
  /** Stops --follow; the command returns when it fires. */
  signal?: AbortSignal;
  pollMs?: number;
}

export async function eventsCommand(client: ApiClient, options: EventsOptions, out: (text: string) => void): Promise<void> {
  const limit = options.limit ?? '20';
  if (!/^[0-9]{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new CliError(`--limit must be from 1 to 1000, got "${limit}"`, 2);
  const filters = new URLSearchParams();
  if (options.config) filters.set('config', options.config);
  if (options.type) filters.set('type', options.type);
  if (options.severity) filters.set('severity', options.severity);
  if (options.kev) filters.set('kev', 'true');
  if (options.fixable) filters.set('fixable', 'true');
  if (options.minEpss !== undefined) filters.set('minEpss', checkedMinEpss(options.minEpss));
  const latest = await fetchPage(client, withParams(filters, { order: 'desc', limit }));
  const shown = [...latest.events].reverse();
  print(shown, options.json, out, true);
  if (!options.follow) return;
  let after = shown.at(-1)?.cursor ?? null;
  while (!options.signal?.aborted) {
    await sleep(options.pollMs ?? 2_000, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) return;
    const page = await fetchPage(client, withParams(filters, { order: 'asc', limit: '1000', ...(after ? { after } : {}) }));
    print(page.events, options.json, out, false);
    after = page.events.at(-1)?.cursor ?? after;
  }
}

function withParams(filters: URLSearchParams, extra: Record<string, string>): string {
  const params = new URLSearchParams(filters);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return `/events?${params.toString()}`;
}

async function fetchPage(client: ApiClient, path: string): Promise<Page> {
  const { body } = await client.request('GET', path);
  if (!Value.Check(EventsPage, body)) throw new CliError('the server answered with an unexpected event page');
  return body;
}

function print(events: Event[], json: boolean, out: (text: string) => void, withHeader: boolean): void {
  if (json) {
    for (const event of events) out(JSON.stringify(event));
    return;
  }
  if (events.length === 0) {
    if (withHeader) out('no events yet');
    return;
  }
  const rows = events.map((event) => [event.time.replace(/\.\d{3}Z$/, 'Z'), event.type, imageOf(event), describe(event)]);
  const table = formatTable(['TIME', 'EVENT', 'IMAGE', 'DETAIL'], rows);
  out(withHeader ? table : table.split('\n').slice(2).join('\n'));
}

function imageOf(event: Event): string {
  return event.tag === null ? event.repository : `${event.repository}:${event.tag}`;
}

function describe(event: Event): string {
  if (event.finding) {
    const pkg = event.finding.package ? ` ${event.finding.package} ${event.finding.version ?? ''}`.trimEnd() : '';
    const fix = event.finding.fixedVersion ? ` (fixed in ${event.finding.fixedVersion})` : '';
    return `${event.severity ?? 'UNDEFINED'} ${event.finding.name}${pkg}${fix}`;
  }
  if (event.error) return event.error.length > 60 ? `${event.error.slice(0, 57)}...` : event.error;
  if (event.previousDigest) return `was ${event.previousDigest.slice(0, 19)}`;
  return event.digest ? event.digest.slice(0, 19) : '';
}
