import type { Generated } from 'kysely';

/** Row types of the subscription tables (migration 2026-12-07-subscriptions). Times are Unix milliseconds. */
export interface SubscriptionsTable {
  id: string;
  url: string;
  format: string;
  /** JSON of `SubscriptionFilters`. */
  filters: string;
  digest: string;
  send_empty: number;
  description: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
  created_by: string | null;
  start_seq: number;
  failing_since: number | null;
  consecutive_failures: Generated<number>;
  last_delivery_at: number | null;
  digest_due_at: number | null;
  digest_after_seq: number | null;
}

export interface DeliveriesTable {
  seq: Generated<number>;
  subscription_id: string;
  message_id: string;
  kind: string;
  config_id: string | null;
  run_id: string | null;
  event_time: number | null;
  content_type: string;
  body: string;
  status: string;
  attempts: Generated<number>;
  created_at: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  delivered_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
}

export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_seq: number;
  subscription_id: string;
  attempted_at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface NotifyCursorTable {
  key: string;
  seq: number;
}

export interface NotifyTables {
  subscriptions: SubscriptionsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  notify_cursor: NotifyCursorTable;
}
