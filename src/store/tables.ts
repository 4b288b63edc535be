import type { Generated } from 'kysely';
import type { AdvisoryTables } from './advisory-tables.js';
import type { InventoryTables } from './inventory-tables.js';
import type { NotifyTables } from './notify-tables.js';
import type { PrioritisationTables } from './prioritisation-tables.js';

/**
 * Row types of the tables the migrations create. Times are Unix milliseconds in a
 * 64-bit integer on every dialect, so that ordering and arithmetic need no dialect code.
 */
export interface ConfigsTable {
  id: string;
  created_at: number;
  region: string | null;
  registry: string;
  repository: string;
  /** JSON array, or null for "every tagged image". */
  tags: string | null;
  schedule: string | null;
  scanner: string;
  platform: string | null;
  status: string;
  last_scan_at: number | null;
  next_scan_at: number;
  last_error: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  revision: number;
  failing_since: number | null;
  created_by: string | null;
  newest: number | null;
  pushed_within: string | null;
  /** JSON array of tags or globs, or null. */
  exclude: string | null;
  /** A running scan's images done and total (migration 2026-12-10-repository-selection). */
  progress_done: number | null;
  progress_total: number | null;
}

export interface ImagesTable {
  id: Generated<number>;
  config_id: string;
  tag: string;
  digest: string | null;
  status: string;
  error: string | null;
  scanned_at: number | null;
  scanner: string | null;
  critical: number;
  high: number;
  medium: number;
  low: number;
  informational: number;
  undefined: number;
  /** Open findings listed in CISA's KEV catalogue, and open findings with a fixed version. */
  kev: Generated<number>;
  fixable: Generated<number>;
  removed_at: number | null;
}

export interface FindingsTable {
  id: Generated<number>;
  image_id: number;
  config_id: string;
  name: string;
  /** Empty string rather than null, so that (image, name, package) can be unique. */
  package: string;
  version: string | null;
  fixed_version: string | null;
  severity: string;
  uri: string | null;
  description: string | null;
  cvss_score: number | null;
  cvss_vector: string | null;
  aliases: string;
  first_seen: number;
  last_seen: number;
  fixed_at: number | null;
  seen_run: string;
  path: string | null;
  close_reason: string | null;
  /** The CVE the finding goes by (its name, or a CVE among its aliases): the key of its prioritisation data. */
  cve: string | null;
  /** The suppression that covers it, if any: it then leaves counts, feeds and notifications. */
  suppressed_by: string | null;
}

export interface SuppressionsTable {
  id: string;
  vulnerability: string;
  package: string | null;
  config_id: string | null;
  repository: string | null;
  tag: string | null;
  status: string;
  justification: string | null;
  reason: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  expired_at: number | null;
}

export interface ScanRunsTable {
  id: string;
  config_id: string;
  trigger: string;
  requested_at: number;
  started_at: number | null;
  finished_at: number | null;
  outcome: string;
  error: string | null;
  owner: string | null;
  images: number | null;
}

export interface EventsTable {
  seq: Generated<number>;
  type: string;
  occurred_at: number;
  config_id: string;
  run_id: string | null;
  tag: string | null;
  digest: string | null;
  severity: string | null;
  finding_id: number | null;
  /** JSON of the type's detail (`EventDetail`); null when it is all in the finding row. */
  detail: string | null;
}

/** Single-row counters; `revision` moves on every write that changes what reads return. */
export interface StoreMetaTable {
  key: string;
  value: number;
}

export interface Database extends AdvisoryTables, InventoryTables, NotifyTables, PrioritisationTables {
  configs: ConfigsTable;
  images: ImagesTable;
  findings: FindingsTable;
  scan_runs: ScanRunsTable;
  store_meta: StoreMetaTable;
  events: EventsTable;
  suppressions: SuppressionsTable;
}
