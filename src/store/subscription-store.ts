import type { ScanEvent } from '../domain/event.js';
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  DeliveryRecord,
  NewDelivery,
  SigningSubscription,
  Subscription,
  SubscriptionInput,
  SubscriptionPatch,
} from '../domain/subscription.js';

/** Turns committed events into the messages to queue; pure, so the relay's transaction stays short. */
export type RelayPlan = (events: ScanEvent[], subscriptions: SigningSubscription[]) => NewDelivery[];

/** Builds one periodic digest from the events since the last one, given page by page (none: "nothing new"). */
export interface PeriodicDigestBuilder {
  add(events: ScanEvent[]): void;
  /** The message, or null when there is nothing to send. */
  finish(): NewDelivery | null;
}

export type PeriodicPlan = (subscription: SigningSubscription, now: Date) => PeriodicDigestBuilder;

export interface RelayResult {
  /** Events read past the cursor. */
  events: number;
  deliveries: number;
  /** Another process holds the relay right now. */
  busy: boolean;
}

/** The store's part for webhook subscriptions and their delivery queue. */
export interface SubscriptionStore {
  createSubscription(input: SubscriptionInput, now: Date): Promise<SigningSubscription>;
  listSubscriptions(): Promise<Subscription[]>;
  getSubscription(id: string): Promise<SigningSubscription | undefined>;
  updateSubscription(id: string, patch: SubscriptionPatch, now: Date): Promise<SigningSubscription | undefined>;
  /** Removes it with its queue; false when unknown. */
  deleteSubscription(id: string): Promise<boolean>;
  /** Recent messages of a subscription with their attempts, newest first. */
  listDeliveries(subscriptionId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Queues one message (a test send); false when its subscription is gone. */
  enqueueDelivery(delivery: NewDelivery, now: Date): Promise<boolean>;

  /** Reads events past the relay cursor, queues what `plan` makes of them and moves the cursor, in one transaction. */
  relayEvents(limit: number, plan: RelayPlan, now: Date): Promise<RelayResult>;
  /** Queues the periodic digests that are due; returns how many. */
  relayPeriodicDigests(now: Date, plan: PeriodicPlan): Promise<number>;
  /** Leases up to `limit` due messages, each the oldest unfinished one of its subscription. */
  claimDeliveries(owner: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Records attempts and their consequences for the messages and their subscriptions, in one transaction. */
  finishDeliveries(outcomes: DeliveryOutcome[], failingAfter: number): Promise<void>;
  releaseDeliveries(owner: string): Promise<void>;
  countFailingSubscriptions(): Promise<number>;
  /** Deletes up to `batch` finished messages created before `before`; returns how many went. */
  pruneDeliveries(before: Date, batch: number): Promise<number>;
}
