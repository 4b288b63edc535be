import type { SeverityCounts } from './severity.js';

/**
 * Outcome of an image's last scan. The ECR-specific ones keep ECR's own names so that
 * users who know ECR recognise them.
 */
export const IMAGE_STATUSES = [
  'PENDING',
  'COMPLETE',
  'FAILED',
  'NOT_FOUND',
  'UNSUPPORTED_IMAGE',
  'FINDINGS_UNAVAILABLE',
  'SCAN_ELIGIBILITY_EXPIRED',
  'ACCESS_DENIED',
] as const;

export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export interface ImageState {
  tag: string;
  digest: string | null;
  status: ImageStatus;
  scannedAt: Date | null;
  error: string | null;
  counts: SeverityCounts;
  scanner: string | null;
}

/**
 * Whether an image's last scan failed, for the event log's `scan.failed` / `scan.recovered`
 * transitions: anything but a completed scan or one not yet run is a failure to report.
 */
export function isFailingStatus(status: ImageStatus): boolean {
  return status !== 'COMPLETE' && status !== 'PENDING';
}
