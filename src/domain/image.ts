import type { SeverityCounts } from './severity.js';

/**
 * Outcome of an image's last scan. The ECR-specific ones keep ECR's own names so that
 * users who know ECR recognise them.
 */
export const IMAGE_STATUSES = [
  'PENDING',
  'COMPLETE',
  'NO_ADVISORY_SOURCE',
  'FAILED',
  'NOT_FOUND',
  'UNSUPPORTED_IMAGE',
  'FINDINGS_UNAVAILABLE',
  'SCAN_ELIGIBILITY_EXPIRED',
  'ACCESS_DENIED',
] as const;

export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/**
 * Statuses of an image that was scanned and whose findings are true as far as they go.
 * `NO_ADVISORY_SOURCE`: the inventory is complete and its language packages are matched,
 * but OSV publishes no advisories for the distribution (CBL-Mariner, Fedora, Amazon
 * Linux…), so its OS packages are not: never "clean", and the error says which.
 */
export function carriesFindings(status: ImageStatus): boolean {
  return status === 'COMPLETE' || status === 'NO_ADVISORY_SOURCE';
}

export interface ImageState {
  tag: string;
  digest: string | null;
  status: ImageStatus;
  scannedAt: Date | null;
  error: string | null;
  counts: SeverityCounts;
  /** Open findings CISA's KEV catalogue lists, and open findings with a fixed version. */
  kev: number;
  fixable: number;
  scanner: string | null;
}

/**
 * Whether an image's last scan failed, for the event log's `scan.failed` / `scan.recovered`
 * transitions: anything but a scan that carried findings (see `carriesFindings`) or one
 * not yet run is a failure to report.
 */
export function isFailingStatus(status: ImageStatus): boolean {
  return !carriesFindings(status) && status !== 'PENDING';
}
