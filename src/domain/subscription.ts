import type { EventType } from './event.js';
import type { Severity } from './severity.js';

/** How a subscription's messages are shaped on the wire. */
export const SUBSCRIPTION_FORMATS = ['json', 'slack', 'cloudevents'] as const;
export type SubscriptionFormat = (typeof SUBSCRIPTION_FORMATS)[number];

/** `run`: one message per scan run of a configuration; `hourly` / `daily`: one periodic digest. */
export const DIGEST_MODES = ['run', 'hourly', 'daily'] as const;
export type DigestMode = (typeof DIGEST_MODES)[number];

/** Which events reach a subscription. Every field left null lets everything through. */
export interface SubscriptionFilters {
  /** Configuration ids; together with `repositories`, an event must match one entry of either. */
  configs: string[] | null;
  /** Repository globs where `*` stands for any run of characters (`team/*`). */
  repositories: string[] | null;
  types: EventType[] | null;
  /** Finding events below this severity are left out; events without a severity pass. */
  minSeverity: Severity | null;
  /** Finding events without a fixed version are left out; events without a finding pass. */
  fixableOnly: boolean;
}

export interface Subscription {
  id: string;
  url: string;
  format: SubscriptionFormat;
  filters: SubscriptionFilters;
  digest: DigestMode;
  /** Periodic digests only: send one saying "nothing new" when nothing matched. */
  sendEmpty: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  /** Set after repeated failed deliveries; cleared by the next success. */
  failingSince: Date | null;
  consecutiveFailures: number;
  lastDeliveryAt: Date | null;
  /** Until when the previous secret still signs messages, after a rotation. */
  previousSecretExpiresAt: Date | null;
}

/** A subscription with its signing secrets: for the delivery worker, never for API output. */
export interface SigningSubscription extends Subscription {
  secret: string;
  previousSecret: string | null;
  /** Events at or below this log position predate the subscription and never reach it. */
  startSeq: number;
}

export interface SubscriptionInput {
  url: string;
  format: SubscriptionFormat;
  filters: SubscriptionFilters;
  digest: DigestMode;
  sendEmpty: boolean;
  description: string | null;
  secret: string;
  createdBy: string | null;
}

/** A change to a subscription: absent fields stay as they are. */
export interface SubscriptionPatch {
  url?: string;
  format?: SubscriptionFormat;
  filters?: SubscriptionFilters;
  digest?: DigestMode;
  sendEmpty?: boolean;
  description?: string | null;
  /** A new secret; the old one keeps signing until `previousSecretExpiresAt`. */
  rotate?: { secret: string; previousExpiresAt: Date };
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type DeliveryKind = 'run' | 'periodic' | 'test';

/** One message for one subscription, as the relay queued it. */
export interface NewDelivery {
  subscriptionId: string;
  /** The `webhook-id`: the event id for a single event, else the digest's own UUIDv7. */
  messageId: string;
  kind: DeliveryKind;
  configId: string | null;
  runId: string | null;
  /** When the newest event it carries was committed, for the event-to-delivered latency. */
  eventTime: Date | null;
  contentType: string;
  body: string;
}

/** A queued message claimed by one worker, with what it needs to send and sign it. */
export interface ClaimedDelivery {
  seq: number;
  messageId: string;
  kind: DeliveryKind;
  subscription: SigningSubscription;
  contentType: string;
  body: string;
  attempts: number;
  createdAt: Date;
  eventTime: Date | null;
}

/** What one attempt came to. */
export interface DeliveryOutcome {
  seq: number;
  subscriptionId: string;
  owner: string;
  at: Date;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** When to try again; null when delivered or given up. */
  retryAt: Date | null;
}

/** One row of `GET /subscriptions/{id}/deliveries`. */
export interface DeliveryRecord {
  messageId: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  configId: string | null;
  runId: string | null;
  createdAt: Date;
  attempts: number;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  /** The latest attempts, newest first. */
  history: DeliveryAttempt[];
}

export interface DeliveryAttempt {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}
