import type { Severity } from './severity.js';

export interface Cvss {
  score: number | null;
  vector: string | null;
}

/** A vulnerability as every scanner reports it, before the store adds its history. */
export interface Finding {
  /** CVE or advisory id. */
  name: string;
  severity: Severity;
  package: string | null;
  version: string | null;
  fixedVersion: string | null;
  uri: string | null;
  description: string | null;
  cvss: Cvss | null;
  aliases: string[];
  /** File inside the image the package was read from (built-in scanner), so users know what to fix. */
  path: string | null;
}

/** `SUPPRESSED`: open, but covered by a suppression, so left out of counts, feeds and notifications. */
export type FindingStatus = 'ACTIVE' | 'FIXED' | 'SUPPRESSED';

/** The suppression covering a finding, as findings show it. */
export interface FindingSuppression {
  id: string;
  status: string;
  justification: string | null;
  reason: string;
  expiresAt: Date | null;
}

/** A listing in CISA's Known Exploited Vulnerabilities catalogue. */
export interface KevListing {
  /** YYYY-MM-DD. */
  dateAdded: string;
  dueDate: string | null;
  /** As the catalogue says it: `Known` or `Unknown`. */
  knownRansomwareCampaignUse: 'Known' | 'Unknown';
}

/** FIRST's EPSS: the probability of exploitation in the next 30 days, and its rank. */
export interface EpssScore {
  score: number;
  percentile: number;
  /** The day of the scores (YYYY-MM-DD), from the file's `#model_version` line. */
  date: string | null;
}

/** Where a finding's severity and CVSS come from: its advisory, or NVD's base score when the advisory has none. */
export type SeveritySource = 'advisory' | 'nvd';

/** What the prioritisation sources say of a finding's CVE, joined when findings are read. */
export interface Prioritisation {
  kev: KevListing | null;
  epss: EpssScore | null;
  severitySource: SeveritySource;
}

/** A finding as stored: which image it is in and when it was first and last seen. */
export interface StoredFinding extends Finding, Prioritisation {
  id: number;
  configId: string;
  tag: string;
  digest: string | null;
  firstSeen: Date;
  lastSeen: Date;
  fixedAt: Date | null;
  status: FindingStatus;
  /** The suppression that covers it, if any (a fixed finding keeps it, for when it comes back). */
  suppression?: FindingSuppression | null;
}
