import type { EventPage, EventQuery } from '../domain/event.js';
import type { Finding, StoredFinding, FindingStatus } from '../domain/finding.js';
import type { FindingSpan } from '../domain/finding-history.js';
import type { ImageState, ImageStatus } from '../domain/image.js';
import type { ConfigState, ConfigStatus, ScanConfig, ScanProgress } from '../domain/scan-config.js';
import type { Severity } from '../domain/severity.js';
import type { SubscriptionStore } from './subscription-store.js';
import type { SuppressionStore } from './suppression-store.js';

export type ScanTrigger = 'schedule' | 'manual';
export type RunOutcome = 'QUEUED' | 'RUNNING' | 'COMPLETE' | 'PARTIAL' | 'FAILED' | 'ABANDONED';

export interface ScanRun {
  id: string;
  configId: string;
  trigger: ScanTrigger;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  outcome: RunOutcome;
  error: string | null;
}

/** A configuration whose lease this process now holds, and the run it is doing. */
export interface ClaimedScan {
  config: ScanConfig;
  runId: string;
  leaseExpiresAt: Date;
}

export interface ImageResult {
  tag: string;
  digest: string | null;
  status: ImageStatus;
  error: string | null;
  scanner: string;
  /** null when the scan did not get as far as findings: the previous ones stay as they were. */
  findings: Finding[] | null;
  /** Files whose open findings this result must not close (see `ImageScanOutcome.unsettledPaths`). */
  unsettledPaths?: string[];
  /**
   * Advisories withdrawn since the image's findings were stored: an open finding that is no
   * longer found and goes by one of these ids (as its name or an alias) closes with reason
   * `withdrawn` rather than as fixed.
   */
  withdrawnAdvisories?: string[];
}

export interface ScanResult {
  configId: string;
  runId: string;
  owner: string;
  finishedAt: Date;
  /** null when the image list itself could not be read: the known images stay as they were. */
  images: ImageResult[] | null;
  /**
   * True when `images` are only some of the configuration's images (a re-match after an
   * advisory change): the others are left as they are rather than treated as gone, and the
   * configuration's scan state (status, error, schedule, failure, run) is not changed, so
   * `status`, `error` and `nextScanAt` are ignored.
   */
  partialImages?: boolean;
  status: Exclude<ConfigStatus, 'NEW' | 'QUEUED' | 'SCANNING'>;
  error: string | null;
  nextScanAt: Date;
}

export interface SummaryConfig {
  id: string;
  region: string | null;
  registry: string;
  repository: string;
  status: ConfigStatus;
  lastScan: Date | null;
  lastError: string | null;
  images: ImageState[];
}

/**
 * A configuration as the summary shows it, without its images, with its revision: every
 * write of its images moves the revision, so a rendering of its images is current while
 * the revision (and the fields here) are unchanged.
 */
export type SummaryConfigRow = Omit<SummaryConfig, 'images'> & { revision: number };

/** A filtered page of the summary (`GET /summary?…`); null fields do not filter. */
export interface SummaryPageQuery {
  /** A repository name or a glob with `*`. */
  repository: string | null;
  /** Configurations with at least one open finding of one of these severities. */
  severities: Severity[] | null;
  statuses: ConfigStatus[] | null;
  /** Configurations per page; null for all that match. */
  limit: number | null;
  /** Opaque position after which the page starts, as returned in `next`. */
  after: string | null;
}

export interface SummaryPage {
  configs: SummaryConfig[];
  next: string | null;
}

export interface FindingsQuery {
  limit: number;
  /** Opaque position after which the page starts, as returned in `next`. */
  after: string | null;
  severities: Severity[] | null;
  /** `ACTIVE`: open and not suppressed; `SUPPRESSED`: open and covered by a suppression. */
  status: FindingStatus | 'ALL';
  /** Only findings whose CVE CISA's KEV catalogue lists. */
  kev?: boolean;
  /** Only findings with a fixed version. */
  fixable?: boolean;
  /** Only findings whose CVE has an EPSS score at least this. */
  minEpss?: number | null;
  /** `newest` (default): first seen, newest first; `risk`: see prioritisation/risk-order.ts. */
  sort?: 'newest' | 'risk';
}

export interface FindingsPage {
  findings: StoredFinding[];
  next: string | null;
}

/**
 * Everything the service keeps. One implementation over Kysely serves every dialect;
 * callers pass the time in, so that tests can drive a clock.
 */
export interface Store extends SubscriptionStore, SuppressionStore {
  /** `createdBy`: the name of the token that registers it, when the server has tokens. */
  createConfig(config: Omit<ScanConfig, 'id' | 'created'>, now: Date, createdBy?: string | null): Promise<ConfigState>;
  listConfigs(): Promise<ConfigState[]>;
  getConfig(id: string): Promise<ConfigState | undefined>;
  /**
   * Changes tags, schedule, scanner and platform in place (id, images, findings and runs
   * stay) and sets when it is next due; undefined when the configuration is unknown.
   */
  updateConfig(
    id: string,
    changes: Pick<ScanConfig, 'tags' | 'schedule' | 'scanner' | 'platform' | 'newest' | 'pushedWithin' | 'exclude'>,
    nextScanAt: Date,
  ): Promise<ConfigState | undefined>;
  /** Removes the configuration with its images, findings and runs; false when unknown. */
  deleteConfig(id: string): Promise<boolean>;

  /** Queues a run now (or returns the one already queued); undefined when the configuration is unknown. */
  requestScan(configId: string, now: Date): Promise<ScanRun | undefined>;
  getRun(id: string): Promise<ScanRun | undefined>;
  /** Leases up to `limit` due configurations whose lease is free or expired. */
  claimDueScans(owner: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedScan[]>;
  /** False when the lease is no longer this owner's (taken over, or the configuration deleted). */
  renewLease(configId: string, owner: string, until: Date): Promise<boolean>;
  /** Records a running scan's progress (images done of total) while `owner` holds its lease. */
  reportProgress(configId: string, owner: string, progress: ScanProgress): Promise<void>;
  /** Writes a whole scan in one transaction; false (and nothing written) when the lease was lost. */
  commitScan(result: ScanResult): Promise<boolean>;
  /**
   * Takes a configuration's lease, when free or expired, for work other than a scan (a
   * re-match): no run starts and its status stays. The work ends with a `commitScan` of a
   * partial result, or `releaseLease`. False when another owner holds it.
   */
  leaseConfig(configId: string, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Gives back a lease taken with `leaseConfig` when there is nothing to commit. */
  releaseLease(configId: string, owner: string): Promise<void>;
  /** Gives up this owner's leases so that another process may take the work at once. */
  releaseLeases(owner: string, now: Date): Promise<void>;
  /** How many processes hold a live lease now (scanning or re-matching): they split each registry's request budget. */
  leaseHolders(now: Date): Promise<number>;
  /** When the next configuration falls due, for the scheduler's sleep. */
  nextDueAt(): Promise<Date | null>;

  summary(): Promise<SummaryConfig[]>;
  /** Every configuration of the summary, in its order, without images: see `SummaryConfigRow`. */
  summaryConfigs(): Promise<SummaryConfigRow[]>;
  /** The current images of these configurations, in tag order. */
  summaryImages(configIds: readonly string[]): Promise<Map<string, ImageState[]>>;
  /** The configurations a filter matches, a page at a time, with their images. */
  summaryPage(query: SummaryPageQuery): Promise<SummaryPage>;
  listFindings(configId: string, query: FindingsQuery): Promise<FindingsPage>;
  /** Findings open at some time since the UTC day `sinceDay`, grouped for the open-findings history. */
  findingSpans(sinceDay: number): Promise<FindingSpan[]>;
  /** The event log: every change a write made, in commit order (see `ScanEvent.seq`). */
  listEvents(query: EventQuery): Promise<EventPage>;
  /** Deletes up to `batch` events older than `before`; returns how many went. */
  pruneEvents(before: Date, batch: number): Promise<number>;
  /** Moves on every write that changes what reads return; caches key on it. */
  revision(): Promise<number>;

  /**
   * Calls `listener` after each write of this process and, on PostgreSQL, whenever another
   * process commits one: the cue for work that follows the event log. Returns its remover.
   */
  onChange(listener: () => void): () => void;

  ping(): Promise<void>;
  close(): Promise<void>;
}
