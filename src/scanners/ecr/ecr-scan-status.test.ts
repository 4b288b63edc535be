import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpretScanStatus } from './ecr-scan-status.js';

test('every ECR scan status has a meaning', () => {
  const table = [
    ['COMPLETE', 'done', null, null],
    ['ACTIVE', 'done', null, null],
    ['IN_PROGRESS', 'running', null, null],
    ['PENDING', 'running', null, null],
    ['FAILED', 'failed', 'FAILED', true],
    ['UNSUPPORTED_IMAGE', 'failed', 'UNSUPPORTED_IMAGE', false],
    ['FINDINGS_UNAVAILABLE', 'failed', 'FINDINGS_UNAVAILABLE', false],
    ['SCAN_ELIGIBILITY_EXPIRED', 'failed', 'SCAN_ELIGIBILITY_EXPIRED', false],
    ['LIMIT_EXCEEDED', 'failed', 'FAILED', true],
    ['IMAGE_ARCHIVED', 'failed', 'FINDINGS_UNAVAILABLE', false],
    ['SOMETHING_NEW', 'failed', 'FAILED', true],
    [undefined, 'failed', 'FAILED', true],
  ] as const;
  for (const [status, kind, imageStatus, retryable] of table) {
    const state = interpretScanStatus(status, 'why\nit ended');
    assert.equal(state.kind, kind, String(status));
    if (state.kind === 'failed') {
      assert.deepEqual([state.error.status, state.error.retryable], [imageStatus, retryable], String(status));
      assert.match(state.error.message, /: why it ended$/);
    }
  }
});
