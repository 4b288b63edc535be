import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EcrEndpoint, startEcrEndpoint } from './ecr-endpoint.js';
import { basicFinding, digestOf } from './ecr-fixtures.js';

/** Raw AWS JSON 1.1 requests, to pin the wire format the SDK relies on. */
describe('ECR-compatible endpoint wire format', () => {
  let endpoint: EcrEndpoint;
  const AUTH = `AWS4-HMAC-SHA256 Credential=AKIAWIRETEST/20260101/us-west-2/ecr/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;

  before(async () => {
    endpoint = await startEcrEndpoint({ pageSize: 2 });
    endpoint.addRepository('team/wire', [
      { digest: digestOf('w1'), tags: ['a', 'b'], findings: [basicFinding({ name: 'CVE-1', severity: 'HIGH' })] },
      { digest: digestOf('w2'), tags: ['c'] },
      { digest: digestOf('w3'), tags: [] },
    ]);
  });
  after(() => endpoint.close());

  async function call(operation: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AmazonEC2ContainerRegistry_V20150921.${operation}`,
        'x-amz-date': '20260101T000000Z',
        authorization: AUTH,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, type: response.headers.get('content-type'), json: (await response.json()) as Record<string, unknown> };
  }

  test('ListImages pages with nextToken and answers in AWS JSON 1.1', async () => {
    const first = await call('ListImages', { repositoryName: 'team/wire' });
    assert.equal(first.status, 200);
    assert.equal(first.type, 'application/x-amz-json-1.1');
    assert.deepEqual(first.json.imageIds, [
      { imageDigest: digestOf('w1'), imageTag: 'a' },
      { imageDigest: digestOf('w1'), imageTag: 'b' },
    ]);
    assert.equal(typeof first.json.nextToken, 'string');
    const second = await call('ListImages', { repositoryName: 'team/wire', nextToken: first.json.nextToken });
    assert.deepEqual(second.json.imageIds, [{ imageDigest: digestOf('w2'), imageTag: 'c' }, { imageDigest: digestOf('w3') }]);
    assert.equal(second.json.nextToken, undefined);
    const tagged = await call('ListImages', { repositoryName: 'team/wire', filter: { tagStatus: 'TAGGED' }, maxResults: 10 });
    assert.equal((tagged.json.imageIds as unknown[]).length, 2, 'the endpoint caps pages at its page size');
    const rest = await call('ListImages', { repositoryName: 'team/wire', filter: { tagStatus: 'TAGGED' }, nextToken: tagged.json.nextToken });
    assert.deepEqual(rest.json.imageIds, [{ imageDigest: digestOf('w2'), imageTag: 'c' }], 'untagged images are left out');
  });

  test('DescribeImages reports details and the scan summary with epoch-second timestamps', async () => {
    await call('StartImageScan', { repositoryName: 'team/wire', imageId: { imageTag: 'a' } });
    const answer = await call('DescribeImages', { repositoryName: 'team/wire', imageIds: [{ imageTag: 'a' }] });
    const [detail] = answer.json.imageDetails as Record<string, unknown>[];
    assert.equal(detail?.imageDigest, digestOf('w1'));
    assert.deepEqual(detail?.imageTags, ['a', 'b']);
    assert.equal(typeof detail?.imagePushedAt, 'number');
    assert.deepEqual(detail?.imageScanStatus, { status: 'IN_PROGRESS' });
  });

  test('errors carry __type and message, with the status ECR uses', async () => {
    const cases: [string, unknown, string, number][] = [
      ['ListImages', { repositoryName: 'team/none' }, 'RepositoryNotFoundException', 400],
      ['ListImages', {}, 'ValidationException', 400],
      ['ListImages', { repositoryName: 'team/wire', maxResults: 0 }, 'InvalidParameterException', 400],
      ['ListImages', { repositoryName: 'team/wire', nextToken: 'forged' }, 'InvalidParameterException', 400],
      ['ListImages', { repositoryName: 'team/wire', registryId: '999999999999' }, 'AccessDeniedException', 400],
      ['DescribeImageScanFindings', { repositoryName: 'team/wire', imageId: { imageTag: 'c' } }, 'ScanNotFoundException', 400],
      ['StartImageScan', { repositoryName: 'team/wire', imageId: { imageTag: 'zz' } }, 'ImageNotFoundException', 400],
      ['DeleteRepository', { repositoryName: 'team/wire' }, 'UnknownOperationException', 400],
    ];
    for (const [operation, body, type, status] of cases) {
      const answer = await call(operation, body);
      assert.equal(answer.status, status, type);
      assert.equal(answer.json.__type, type);
      assert.equal(typeof answer.json.message, 'string');
    }
    endpoint.failNext(1, { type: 'ServerException', message: 'Internal error', httpStatus: 500 });
    const server = await call('ListImages', { repositoryName: 'team/wire' });
    assert.deepEqual([server.status, server.json.__type], [500, 'ServerException']);
  });

  test('requests must be signed and use the AWS JSON 1.1 content type', async () => {
    const unsigned = await call('ListImages', { repositoryName: 'team/wire' }, { authorization: '' });
    assert.equal(unsigned.json.__type, 'MissingAuthenticationTokenException');
    const wrongType = await call('ListImages', { repositoryName: 'team/wire' }, { 'content-type': 'application/json' });
    assert.equal(wrongType.json.__type, 'SerializationException');
    const wrongService = await call('ListImages', { repositoryName: 'team/wire' }, { authorization: AUTH.replace('/ecr/', '/s3/') });
    assert.equal(wrongService.json.__type, 'InvalidSignatureException');
  });

  test('counts calls per operation, including failed ones', async () => {
    endpoint.resetCalls();
    await call('ListImages', { repositoryName: 'team/wire' });
    await call('ListImages', { repositoryName: 'team/none' });
    await call('GetRegistryScanningConfiguration', {});
    assert.equal(endpoint.callCount('ListImages'), 2);
    assert.equal(endpoint.callCount(), 3);
  });
});
