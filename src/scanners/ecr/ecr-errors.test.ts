import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageNotFoundException, RepositoryNotFoundException, ServerException } from '@aws-sdk/client-ecr';
import { ScanError } from '../scanner.js';
import { oneLine, toScanError } from './ecr-errors.js';

const SITE = { operation: 'DescribeImageScanFindings', region: 'eu-west-1', registryId: '123456789012', repository: 'team/app', digest: 'sha256:abc' };

function serviceError(name: string, message: string, httpStatusCode: number): Error {
  return Object.assign(new Error(message), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode, attempts: 1 } });
}

describe('toScanError', () => {
  test('ECR exceptions map onto image statuses', () => {
    const meta = { $metadata: { httpStatusCode: 400 } };
    const repo = toScanError(new RepositoryNotFoundException({ message: 'The repository with name … does not exist', ...meta }), SITE);
    assert.equal(repo.status, 'NOT_FOUND');
    assert.equal(repo.message, 'repository "team/app" does not exist in ECR registry 123456789012 (eu-west-1)');
    const image = toScanError(new ImageNotFoundException({ message: 'The image with imageId … does not exist', ...meta }), SITE);
    assert.equal(image.status, 'NOT_FOUND');
    assert.match(image.message, /^image sha256:abc is no longer in repository "team\/app"/);
    const server = toScanError(new ServerException({ message: 'boom', $metadata: { httpStatusCode: 500, attempts: 5 } }), SITE);
    assert.deepEqual([server.status, server.retryable, server.message], ['FAILED', true, 'ECR failed on DescribeImageScanFindings after 5 attempts: ServerException: boom']);
  });

  test('access problems are ACCESS_DENIED, not retryable', () => {
    for (const name of ['AccessDeniedException', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidSignatureException']) {
      const err = toScanError(serviceError(name, 'denied', 400), SITE);
      assert.deepEqual([err.status, err.retryable], ['ACCESS_DENIED', false], name);
    }
    assert.equal(toScanError(serviceError('Whatever', 'Forbidden', 403), SITE).status, 'ACCESS_DENIED');
  });

  test('throttling, timeouts and unreachable endpoints are retryable failures', () => {
    const throttled = toScanError(Object.assign(serviceError('ThrottlingException', 'Rate exceeded', 400), { $metadata: { attempts: 5 } }), SITE);
    assert.deepEqual([throttled.status, throttled.retryable], ['FAILED', true]);
    assert.equal(throttled.message, 'ECR throttled DescribeImageScanFindings after 5 attempts; a later run will retry');
    assert.equal(toScanError(serviceError('Whatever', 'slow down', 429), SITE).retryable, true);
    const timeout = toScanError(Object.assign(new Error('request timed out'), { name: 'TimeoutError' }), { ...SITE, requestTimeoutMs: 500 });
    assert.equal(timeout.message, 'ECR did not answer DescribeImageScanFindings within 500 ms');
    const refused = toScanError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), SITE);
    assert.deepEqual([refused.retryable, refused.message], [true, 'cannot reach the ECR endpoint for DescribeImageScanFindings: connect ECONNREFUSED 127.0.0.1:9']);
  });

  test('anything else is a plain failure with the name and one line of message', () => {
    const err = toScanError(new TypeError('bad\nthing'), SITE);
    assert.deepEqual([err.status, err.retryable, err.message], ['FAILED', false, 'ECR DescribeImageScanFindings failed: TypeError: bad thing']);
    assert.equal(toScanError('a string', SITE).message, 'ECR DescribeImageScanFindings failed: Error: a string');
    const given = new ScanError('NOT_FOUND', 'kept');
    assert.equal(toScanError(given, SITE), given);
  });
});

describe('oneLine', () => {
  test('joins lines, drops the SDK debugging hint and redacts credentials', () => {
    assert.equal(
      oneLine("Unexpected token '<'\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object."),
      "Unexpected token '<'",
    );
    assert.equal(oneLine('key AKIAIOSFODNN7EXAMPLE used, Signature=abcdef0123 X-Amz-Security-Token=FwoGZXIvYXdz'), 'key [redacted] used, Signature=[redacted] X-Amz-Security-Token=[redacted]');
    assert.equal(oneLine('x'.repeat(1000)).length, 300);
    assert.equal(oneLine('   '), 'no message');
  });
});
