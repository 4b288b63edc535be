import { ScanError } from '../scanner.js';

/** Where a scan stands, read from ECR's `imageScanStatus`. */
export type ScanState = { kind: 'running' } | { kind: 'done' } | { kind: 'failed'; error: ScanError };

/**
 * ECR's scan statuses (basic: IN_PROGRESS, COMPLETE, FAILED, UNSUPPORTED_IMAGE;
 * enhanced: ACTIVE, PENDING, SCAN_ELIGIBILITY_EXPIRED, FINDINGS_UNAVAILABLE; both:
 * LIMIT_EXCEEDED, IMAGE_ARCHIVED) mapped onto what the image shows.
 */
export function interpretScanStatus(status: string | undefined, description: string | undefined): ScanState {
  const detail = describe(description);
  switch (status) {
    case 'COMPLETE':
    case 'ACTIVE':
      return { kind: 'done' };
    case 'IN_PROGRESS':
    case 'PENDING':
      return { kind: 'running' };
    case 'FAILED':
      return failed('FAILED', `the ECR scan failed${detail}`, true);
    case 'UNSUPPORTED_IMAGE':
      return failed('UNSUPPORTED_IMAGE', `ECR cannot scan this image${detail}`, false);
    case 'FINDINGS_UNAVAILABLE':
      return failed('FINDINGS_UNAVAILABLE', `ECR has no findings for this image${detail}`, false);
    case 'SCAN_ELIGIBILITY_EXPIRED':
      return failed('SCAN_ELIGIBILITY_EXPIRED', `enhanced scanning no longer monitors this image${detail}`, false);
    case 'LIMIT_EXCEEDED':
      return failed('FAILED', `ECR's scan limit was exceeded${detail}`, true);
    case 'IMAGE_ARCHIVED':
      return failed('FINDINGS_UNAVAILABLE', `the image is archived and cannot be scanned${detail}`, false);
    default:
      return failed('FAILED', `ECR answered an unknown scan status "${String(status).slice(0, 40)}"${detail}`, true);
  }
}

function failed(status: ScanError['status'], message: string, retryable: boolean): ScanState {
  return { kind: 'failed', error: new ScanError(status, message, retryable) };
}

function describe(description: string | undefined): string {
  const text = (description ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  return text ? `: ${text}` : '';
}
