import type { Counts, Severity } from './format';

// The JSON the dashboard reads, as the API documents it (GET /openapi.json); only the
// fields the pages use.

export type ConfigStatus = 'NEW' | 'QUEUED' | 'SCANNING' | 'COMPLETE' | 'PARTIAL' | 'FAILED';

export interface ScanConfig {
  id: string;
  created: string;
  region: string | null;
  registry: string;
  repository: string;
  tags: string[] | null;
  schedule: string;
  scanner: 'ecr' | 'builtin';
  platform: string;
  status: ConfigStatus;
  lastScan: string | null;
  nextScan: string | null;
  lastError: string | null;
  images: Array<{ tag: string; digest: string | null; status: string; error: string | null }>;
}

export interface SummaryImage {
  tag: string;
  digest: string | null;
  status: string;
  scannedAt: string | null;
  counts: Counts;
  /** Open findings listed in CISA's KEV catalogue, and open findings with a fix. */
  kev: number;
  fixable: number;
  error: string | null;
}

export interface Summary {
  generatedAt: string;
  warnings?: string[];
  totals: Counts;
  configs: Array<{
    id: string;
    region: string | null;
    registry: string;
    repository: string;
    status: ConfigStatus;
    lastScan: string | null;
    lastError: string | null;
    images: SummaryImage[];
  }>;
}

export interface Finding {
  name: string;
  severity: Severity;
  package: string | null;
  version: string | null;
  fixedVersion: string | null;
  uri: string | null;
  description: string | null;
  cvss: { score: number | null; vector: string | null } | null;
  aliases: string[];
  path: string | null;
  tag: string;
  digest: string | null;
  firstSeen: string;
  lastSeen: string;
  fixedAt: string | null;
  status: 'ACTIVE' | 'FIXED' | 'SUPPRESSED';
  kev: { dateAdded: string; dueDate: string | null; knownRansomwareCampaignUse: 'Known' | 'Unknown' } | null;
  epss: { score: number; percentile: number; date: string | null } | null;
  suppression?: { id: string; status: string; justification: string | null; reason: string; expiresAt: string | null } | null;
}

export const SUPPRESSION_STATUSES = ['not_affected', 'accepted_risk', 'false_positive', 'will_not_fix'] as const;
export type SuppressionStatus = (typeof SUPPRESSION_STATUSES)[number];

/** OpenVEX's justifications, for not_affected only. */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;

export interface Suppression {
  id: string;
  vulnerability: string;
  package: string | null;
  configId: string | null;
  repository: string | null;
  tag: string | null;
  status: SuppressionStatus;
  justification: string | null;
  reason: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  expiredAt: string | null;
  state: 'active' | 'expired';
}

export interface ScanEvent {
  id: string;
  cursor: string;
  type: string;
  time: string;
  configId: string;
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  severity: Severity | null;
  finding?: { name: string; package: string | null; version: string | null; fixedVersion: string | null };
  reason?: string;
  status?: string;
  error?: string | null;
  suppression?: { id: string; vulnerability: string; status: string; reason: string };
  affectedFindings?: number;
}

export interface EventsPage {
  events: ScanEvent[];
  next: string | null;
}

export interface History {
  generatedAt: string;
  days: Array<{ date: string; counts: Counts }>;
}

export interface AdvisorySource {
  source: string;
  lastImport: string | null;
  lastError: string | null;
  ecosystems: Record<string, number>;
  stale: boolean;
}

export interface Subscription {
  id: string;
  url: string;
  format: 'json' | 'slack' | 'cloudevents';
  filters: { configs: string[] | null; repositories: string[] | null; types: string[] | null; minSeverity: string | null; fixableOnly: boolean };
  digest: string;
  description: string | null;
  status: 'active' | 'failing';
  consecutiveFailures: number;
  lastDeliveryAt: string | null;
  secret?: string;
}

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
] as const;
