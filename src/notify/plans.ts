import { v7 as uuidv7 } from 'uuid';
import type { ScanEvent } from '../domain/event.js';
import type { NewDelivery, SigningSubscription } from '../domain/subscription.js';
import { encodeEventCursor } from '../store/events-repo.js';
import type { PeriodicDigestBuilder } from '../store/subscription-store.js';
import { configOf, createSummariser, type Digest, summarise } from './digest.js';
import { eventMatches } from './filters.js';
import { FORMATS } from './formats.js';

/** What a message needs to link back to the service. */
export interface PlanContext {
  publicUrl: string;
}

// GET /events pages hold at most this many events.
const EVENTS_PAGE_MAX = 1000;

/**
 * Where the events a message summarises can be read: the event log from just before the
 * first of them, so a run's events (contiguous in the log) make the first page.
 */
function eventsUrl(publicUrl: string, configId: string | null, span: { firstSeq: number; count: number } | null): string {
  const query = new URLSearchParams();
  if (configId) query.set('config', configId);
  if (span) {
    query.set('after', encodeEventCursor(span.firstSeq - 1));
    query.set('limit', String(Math.min(span.count, EVENTS_PAGE_MAX)));
  }
  const text = query.toString();
  return `${publicUrl}/events${text ? `?${text}` : ''}`;
}

function toDelivery(subscription: SigningSubscription, digest: Digest, context: PlanContext, eventTime: Date | null): NewDelivery {
  const rendered = FORMATS[subscription.format](digest, context.publicUrl);
  return {
    subscriptionId: subscription.id,
    messageId: digest.id,
    kind: digest.kind === 'scan' ? 'run' : digest.kind,
    configId: digest.config?.id ?? null,
    runId: digest.runId,
    eventTime,
    contentType: rendered.contentType,
    body: rendered.body,
  };
}

/** A run's events (one transaction's, contiguous in the log); an event without a run is a group of its own. */
function groupByRun(events: ScanEvent[]): ScanEvent[][] {
  const groups = new Map<string, ScanEvent[]>();
  for (const event of events) {
    const key = event.runId ? `${event.configId}\n${event.runId}` : event.id;
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  return [...groups.values()];
}

/**
 * Digest, not flood: the events of one run of one configuration that pass a subscription's
 * filters become one message for it. A single event keeps its own id as the message id, so
 * a receiver can de-duplicate on it; a digest of several gets a UUIDv7 of its own.
 */
export function planRunDigests(events: ScanEvent[], subscriptions: SigningSubscription[], context: PlanContext, now: Date): NewDelivery[] {
  const deliveries: NewDelivery[] = [];
  for (const group of groupByRun(events)) {
    const first = group[0] as ScanEvent;
    const last = group[group.length - 1] as ScanEvent;
    for (const subscription of subscriptions) {
      const matching = group.filter((event) => event.seq > subscription.startSeq && eventMatches(subscription.filters, event));
      if (matching.length === 0) continue;
      const digest: Digest = {
        id: matching.length === 1 ? (matching[0] as ScanEvent).id : uuidv7({ msecs: now.getTime() }),
        kind: 'scan',
        time: last.time,
        subscriptionId: subscription.id,
        config: configOf(first),
        runId: first.runId,
        period: null,
        eventsUrl: eventsUrl(context.publicUrl, first.configId, { firstSeq: first.seq, count: group.length }),
        ...summarise(matching),
      };
      deliveries.push(toDelivery(subscription, digest, context, last.time));
    }
  }
  return deliveries;
}

/** A periodic digest of the events since the last one, taken page by page; null when there is nothing and "nothing new" was not asked for. */
export function planPeriodicDigest(subscription: SigningSubscription, context: PlanContext, now: Date, from: Date): PeriodicDigestBuilder {
  const summariser = createSummariser();
  let first: ScanEvent | null = null;
  let seen = 0;
  return {
    add(events) {
      first ??= events[0] ?? null;
      seen += events.length;
      for (const event of events) {
        if (event.seq > subscription.startSeq && eventMatches(subscription.filters, event)) summariser.add(event);
      }
    },
    finish() {
      const summary = summariser.result();
      if (summary.events === 0 && !subscription.sendEmpty) return null;
      const digest: Digest = {
        id: uuidv7({ msecs: now.getTime() }),
        kind: 'periodic',
        time: now,
        subscriptionId: subscription.id,
        config: null,
        runId: null,
        period: { from, to: now },
        eventsUrl: eventsUrl(context.publicUrl, null, first ? { firstSeq: first.seq, count: seen } : null),
        ...summary,
      };
      return toDelivery(subscription, digest, context, null);
    },
  };
}

/** `POST /subscriptions/{id}/test`: a message in the subscription's format, marked as a test. */
export function planTestMessage(subscription: SigningSubscription, context: PlanContext, now: Date): NewDelivery {
  const digest: Digest = {
    id: uuidv7({ msecs: now.getTime() }),
    kind: 'test',
    time: now,
    subscriptionId: subscription.id,
    config: null,
    runId: null,
    period: null,
    eventsUrl: eventsUrl(context.publicUrl, null, null),
    ...summarise([]),
  };
  return toDelivery(subscription, digest, context, null);
}
