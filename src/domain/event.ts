import type { Cvss, EpssScore, Finding, KevListing, Prioritisation } from './finding.js';
import type { ImageStatus } from './image.js';
import type { Severity } from './severity.js';

/** Every kind of change the event log records (SPEC §5), in the order the docs list them. */
export const EVENT_TYPES = [
  'finding.new',
  'finding.fixed',
  'finding.reopened',
  'finding.changed',
  'image.added',
  'image.removed',
  'image.digest_changed',
  'scan.failed',
  'scan.recovered',
  'suppression.created',
  'suppression.updated',
  'suppression.expired',
  'suppression.deleted',
  'finding.suppressed',
  'finding.unsuppressed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * What a finding event says about the finding: enough to act on without another request.
 * Events written by a prioritisation import also carry its KEV, EPSS and severity source.
 */
export type EventFinding = Omit<Finding, 'description'> & Partial<Prioritisation>;

/** The values of an open finding before a `finding.changed`. */
export interface FindingChange {
  severity: Severity;
  fixedVersion: string | null;
  cvss: Cvss | null;
  /** The finding's KEV listing and EPSS score before a prioritisation import changed them. */
  kev?: KevListing | null;
  epss?: EpssScore | null;
}

/**
 * Type-specific detail of an event. Every field is optional because each type carries its
 * own subset: finding events a `finding`, `finding.changed` also `previous`,
 * `finding.fixed` a `reason`, digest changes `previousDigest`, failures the `error`.
 */
export interface EventDetail {
  finding?: EventFinding;
  previous?: FindingChange;
  /**
   * Why a finding closed: it was not found by a complete scan, its image went away, or the
   * advisory it came from was withdrawn (the finding was never real, rather than fixed).
   */
  reason?: 'not_found' | 'image_removed' | 'withdrawn';
  previousDigest?: string | null;
  /** `scan.*`: whether the configuration as a whole or one image failed or recovered. */
  scope?: 'config' | 'image';
  status?: ImageStatus | 'FAILED';
  error?: string | null;
  /** `image.removed`: how many open findings closed with it. */
  closedFindings?: number;
  /** `suppression.*`: the suppression as it is after the change (before it, for a deletion). */
  suppression?: EventSuppression;
  /** `suppression.*`: open findings of the configuration that it took out of, or gave back to, the counts. */
  affectedFindings?: number;
}

/** What a suppression event says about the suppression. */
export interface EventSuppression {
  id: string;
  vulnerability: string;
  status: string;
  justification: string | null;
  reason: string;
  expiresAt: string | null;
}

/** One change, as the event log keeps it. `seq` orders events in commit order. */
export interface ScanEvent {
  /** UUIDv7: time-ordered, unique, the idempotency key receivers de-duplicate on. */
  id: string;
  /** Position in the log: strictly increasing in commit order, so a reader that follows
   *  `seq > last seen` misses nothing; gaps are allowed. */
  seq: number;
  type: EventType;
  time: Date;
  configId: string;
  /** The scan run that made the change; one run's events form one digest. */
  runId: string | null;
  registry: string;
  repository: string;
  region: string | null;
  tag: string | null;
  digest: string | null;
  /** The finding's severity, for finding events; null otherwise. */
  severity: Severity | null;
  detail: EventDetail;
}

export interface EventQuery {
  configIds: string[] | null;
  types: EventType[] | null;
  /** Finding events of these severities; events without a severity are left out when set. */
  severities: Severity[] | null;
  /** Finding events whose finding's CVE CISA's KEV catalogue lists now. */
  kev?: boolean;
  /** Finding events whose finding has a fixed version now. */
  fixable?: boolean;
  /** Finding events whose finding's CVE has an EPSS score at least this now. */
  minEpss?: number | null;
  /** Only events past this `seq` in the chosen order (the `after` cursor, decoded). */
  afterSeq: number | null;
  limit: number;
  order: 'asc' | 'desc';
}

export interface EventPage {
  events: ScanEvent[];
  /** Cursor of the last event on the page when more may follow, else null. */
  next: string | null;
}
