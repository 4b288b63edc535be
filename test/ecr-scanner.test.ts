import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { createEcrClient } from '../src/scanners/ecr/ecr-client.js';
import { createEcrScanner, type EcrScanner, type EcrScannerOptions } from '../src/scanners/ecr/ecr-scanner.js';
import { ScanError } from '../src/scanners/scanner.js';
import { basicFinding, digestOf, enhancedFinding, type EcrEndpoint, startEcrEndpoint, syntheticImages } from './support/ecr-endpoint/index.js';

const CREDENTIALS = { accessKeyId: 'AKIAECRSCANTEST00001', secretAccessKey: 'secret/ecrscan-test-key' };
const REGION = 'us-west-2';

function configFor(endpoint: EcrEndpoint, repository: string, tags: string[] | null = null, registry = endpoint.accountId): ScanConfig {
  return { id: randomUUID(), created: new Date(), region: REGION, registry, repository, tags, schedule: null, scanner: 'ecr', platform: null };
}

function scannerFor(endpoint: EcrEndpoint, options: EcrScannerOptions = {}): EcrScanner {
  return createEcrScanner({
    pollIntervalMs: 5,
    maxPollMs: 5_000,
    clientOptions: { requestTimeoutMs: 1_000, maxAttempts: 4, config: { endpoint: endpoint.url, credentials: CREDENTIALS } },
    ...options,
  });
}

const signal = (): AbortSignal => new AbortController().signal;

/** Resolves to the ScanError the promise rejects with, checking it reads as one clean line. */
async function scanErrorOf(promise: Promise<unknown>): Promise<ScanError> {
  const err = await promise.then(
    () => assert.fail('expected a ScanError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ScanError, `expected a ScanError, got ${String(err)}`);
  assert.doesNotMatch(err.message, /\n/);
  assert.ok(!err.message.includes(CREDENTIALS.secretAccessKey) && !err.message.includes(CREDENTIALS.accessKeyId));
  assert.ok(err.message.length > 10 && err.message.length < 400, err.message);
  return err;
}

describe('ECR scanner against an ECR-compatible endpoint', () => {
  let endpoint: EcrEndpoint;
  let scanner: EcrScanner;

  before(async () => {
    endpoint = await startEcrEndpoint({ pageSize: 3, pollsUntilDone: 1 });
    scanner = scannerFor(endpoint);
  });
  after(async () => {
    scanner.close();
    await endpoint.close();
  });

  test('lists every tagged image over several ListImages pages', async () => {
    endpoint.addRepository('team/listing', [
      { digest: digestOf('l1'), tags: ['1.0', '1.1', 'latest'] },
      { digest: digestOf('l2'), tags: ['2.0'] },
      { digest: digestOf('l3'), tags: [] },
      { digest: digestOf('l4'), tags: ['1.2', 'edge', 'nightly', 'x'] },
    ]);
    endpoint.resetCalls();
    const listed = await scanner.listImages(configFor(endpoint, 'team/listing'), signal());
    assert.deepEqual(
      listed.images.map((i) => i.tag),
      ['1.0', '1.1', '1.2', '2.0', 'edge', 'latest', 'nightly', 'x'],
    );
    assert.equal(listed.images.find((i) => i.tag === 'latest')?.digest, digestOf('l1'));
    assert.deepEqual(listed.missingTags, []);
    assert.equal(endpoint.callCount('ListImages'), 3, '8 tagged ids in pages of 3');
  });

  test('expands globs, reports missing exact tags and keeps tags that share a digest', async () => {
    const listed = await scanner.listImages(configFor(endpoint, 'team/listing', ['1.*', 'latest', 'gone', 'rc-*']), signal());
    assert.deepEqual(
      listed.images.map((i) => [i.tag, i.digest]),
      [
        ['1.0', digestOf('l1')],
        ['1.1', digestOf('l1')],
        ['1.2', digestOf('l4')],
        ['latest', digestOf('l1')],
      ],
    );
    assert.deepEqual(listed.missingTags, ['gone']);
  });

  test('starts a basic scan, polls until it completes and reads every page of findings', async () => {
    const findings = [
      basicFinding({
        name: 'CVE-2026-0001',
        severity: 'HIGH',
        packageName: 'openssl',
        packageVersion: '3.0.11-1',
        cvss2: { score: '5.0', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P' },
        cvss3: { score: '7.5', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
        description: 'A flaw in openssl.',
      }),
      ...['CVE-2026-0002', 'CVE-2026-0003', 'CVE-2026-0004', 'CVE-2026-0005', 'CVE-2026-0006', 'CVE-2026-0007'].map((name) =>
        basicFinding({ name, severity: 'INFORMATIONAL', packageName: 'zlib', packageVersion: '1.2.13' }),
      ),
    ];
    endpoint.addRepository('team/app', [{ digest: digestOf('app'), tags: ['1.0'], findings, pollsUntilDone: 3 }]);
    endpoint.resetCalls();
    const outcome = await scanner.scanImage(configFor(endpoint, 'team/app'), { tag: '1.0', digest: digestOf('app') }, signal());
    assert.equal(outcome.status, 'COMPLETE');
    assert.equal(outcome.error, null);
    assert.equal(outcome.findings.length, 7);
    assert.deepEqual(outcome.findings[0], {
      name: 'CVE-2026-0001',
      severity: 'HIGH',
      package: 'openssl',
      version: '3.0.11-1',
      fixedVersion: null,
      uri: 'https://security-tracker.debian.org/tracker/CVE-2026-0001',
      description: 'A flaw in openssl.',
      cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      aliases: [],
      path: null,
    });
    assert.equal(endpoint.callCount('StartImageScan'), 1);
    // three IN_PROGRESS answers, then the first of three pages, then the two others
    assert.equal(endpoint.callCount('DescribeImageScanFindings'), 6);
    assert.equal(endpoint.image('team/app', digestOf('app'))?.scansStarted, 1);
  });

  test('past the 24-hour quota it reads the latest completed findings without retrying the start', async () => {
    const findings = [basicFinding({ name: 'CVE-2026-1000', severity: 'MEDIUM', packageName: 'bash', packageVersion: '5.2' })];
    const lastScanAt = new Date(Date.now() - 60 * 60_000);
    endpoint.addRepository('team/quota', [{ digest: digestOf('quota'), tags: ['q'], findings, lastScanAt }]);
    endpoint.resetCalls();
    const outcome = await scanner.scanImage(configFor(endpoint, 'team/quota'), { tag: 'q', digest: digestOf('quota') }, signal());
    assert.equal(outcome.status, 'COMPLETE');
    assert.deepEqual(
      outcome.findings.map((f) => f.name),
      ['CVE-2026-1000'],
    );
    assert.equal(endpoint.callCount('StartImageScan'), 1, 'LimitExceededException is a quota, not throttling: no SDK retries');
    assert.equal(endpoint.image('team/quota', digestOf('quota'))?.scansStarted, 0);
  });

  test('a second scan within 24 hours falls back to the first one’s findings', async () => {
    const config = configFor(endpoint, 'team/app');
    const image = { tag: '1.0', digest: digestOf('app') };
    const outcome = await scanner.scanImage(config, image, signal());
    assert.equal(outcome.findings.length, 7);
    assert.equal(endpoint.image('team/app', digestOf('app'))?.scansStarted, 1);
  });

  test('final scan statuses become the image status with ECR’s description', async () => {
    const cases = [
      ['FAILED', true],
      ['UNSUPPORTED_IMAGE', false],
      ['FINDINGS_UNAVAILABLE', false],
      ['SCAN_ELIGIBILITY_EXPIRED', false],
    ] as const;
    endpoint.addRepository(
      'team/statuses',
      cases.map(([end]) => ({ digest: digestOf(end), tags: [end.toLowerCase()], scanEnd: end, scanDescription: `described ${end}` })),
    );
    for (const [end, retryable] of cases) {
      const err = await scanErrorOf(scanner.scanImage(configFor(endpoint, 'team/statuses'), { tag: end, digest: digestOf(end) }, signal()));
      assert.equal(err.status, end);
      assert.equal(err.retryable, retryable);
      assert.match(err.message, new RegExp(`described ${end}`));
    }
  });

  test('StartImageScan’s UnsupportedImageTypeException marks the image unsupported', async () => {
    endpoint.addRepository('team/unsupported', [{ digest: digestOf('unsupported'), tags: ['u'] }]);
    endpoint.failNext(1, {
      operation: 'StartImageScan',
      type: 'UnsupportedImageTypeException',
      message: 'The image is of a type that cannot be scanned.',
    });
    const err = await scanErrorOf(
      scanner.scanImage(configFor(endpoint, 'team/unsupported'), { tag: 'u', digest: digestOf('unsupported') }, signal()),
    );
    assert.equal(err.status, 'UNSUPPORTED_IMAGE');
    assert.match(err.message, /cannot be scanned/);
  });

  // Each of these gets its own client: adaptive retry mode slows a client down after
  // throttling, which would otherwise carry over into the next test.
  test('a throttling burst is absorbed by the SDK’s retries', async () => {
    const fresh = scannerFor(endpoint);
    endpoint.addRepository('team/throttled', [{ digest: digestOf('throttled'), tags: ['t'], findings: [basicFinding({ name: 'CVE-2026-2000', severity: 'LOW' })] }]);
    endpoint.resetCalls();
    endpoint.failNext(2, { operation: 'DescribeImageScanFindings' });
    endpoint.failNext(1, { operation: 'StartImageScan' });
    try {
      const outcome = await fresh.scanImage(configFor(endpoint, 'team/throttled'), { tag: 't', digest: digestOf('throttled') }, signal());
      assert.deepEqual(
        outcome.findings.map((f) => f.name),
        ['CVE-2026-2000'],
      );
      assert.equal(endpoint.callCount('StartImageScan'), 2);
      assert.equal(endpoint.callCount('DescribeImageScanFindings'), 4);
    } finally {
      fresh.close();
    }
  });

  test('throttling that outlasts the retries is a retryable failure', async () => {
    const fresh = scannerFor(endpoint, { clientOptions: { maxAttempts: 2, config: { endpoint: endpoint.url, credentials: CREDENTIALS } } });
    endpoint.failNext(2, { operation: 'ListImages' });
    try {
      const err = await scanErrorOf(fresh.listImages(configFor(endpoint, 'team/throttled'), signal()));
      assert.equal(err.status, 'FAILED');
      assert.equal(err.retryable, true);
      assert.match(err.message, /^ECR throttled ListImages after 2 attempts; a later run will retry$/);
    } finally {
      fresh.close();
    }
  });

  test('5xx answers are retried', async () => {
    endpoint.failNext(2, { operation: 'ListImages', type: 'ServerException', message: 'Internal error', httpStatus: 500 });
    const listed = await scanner.listImages(configFor(endpoint, 'team/throttled'), signal());
    assert.deepEqual(
      listed.images.map((i) => i.tag),
      ['t'],
    );
  });

  test('a tag deleted between listing and scanning is NOT_FOUND and does not stop the other images', async () => {
    endpoint.addRepository('team/deleted', [
      { digest: digestOf('d1'), tags: ['keep'], findings: [basicFinding({ name: 'CVE-2026-3000', severity: 'HIGH' })] },
      { digest: digestOf('d2'), tags: ['drop'] },
    ]);
    const config = configFor(endpoint, 'team/deleted');
    const listed = await scanner.listImages(config, signal());
    endpoint.deleteTag('team/deleted', 'drop');
    const results = await Promise.allSettled(listed.images.map((image) => scanner.scanImage(config, image, signal())));
    const [dropped, kept] = results;
    assert.equal(kept?.status, 'fulfilled');
    assert.equal(dropped?.status, 'rejected');
    const err = await scanErrorOf(Promise.reject(dropped?.status === 'rejected' ? dropped.reason : null));
    assert.equal(err.status, 'NOT_FOUND');
    assert.match(err.message, /no longer in repository "team\/deleted" \(deleted since it was listed\)/);
  });

  test('an unknown repository is NOT_FOUND with a readable message', async () => {
    const err = await scanErrorOf(scanner.listImages(configFor(endpoint, 'team/nope'), signal()));
    assert.equal(err.status, 'NOT_FOUND');
    assert.equal(err.message, `repository "team/nope" does not exist in ECR registry ${endpoint.accountId} (${REGION})`);
    const scanErr = await scanErrorOf(scanner.scanImage(configFor(endpoint, 'team/nope'), { tag: 'x', digest: digestOf('x') }, signal()));
    assert.equal(scanErr.status, 'NOT_FOUND');
  });

  test('a registry the credentials cannot reach is ACCESS_DENIED', async () => {
    const config = configFor(endpoint, 'team/app', null, '210987654321');
    const err = await scanErrorOf(scanner.listImages(config, signal()));
    assert.equal(err.status, 'ACCESS_DENIED');
    assert.equal(err.retryable, false);
    assert.match(err.message, /^access denied by ECR for ListImages on registry 210987654321 \(us-west-2\): User: arn:aws:iam::/);
    const scanErr = await scanErrorOf(scanner.scanImage(config, { tag: '1.0', digest: digestOf('app') }, signal()));
    assert.equal(scanErr.status, 'ACCESS_DENIED');
  });

  test('a configuration that is not an ECR registry is refused', async () => {
    const config = { ...configFor(endpoint, 'team/app'), registry: 'ghcr.io', region: null };
    const err = await scanErrorOf(scanner.listImages(config, signal()));
    assert.match(err.message, /"ghcr.io" is not an ECR registry/);
  });

  test('aborting stops a scan that is polling', async () => {
    endpoint.addRepository('team/slow', [{ digest: digestOf('slow'), tags: ['s'], pollsUntilDone: 1_000 }]);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    await assert.rejects(
      scanner.scanImage(configFor(endpoint, 'team/slow'), { tag: 's', digest: digestOf('slow') }, controller.signal),
      /run cancelled/,
    );
    assert.ok(Date.now() - started < 2_000);
  });

  test('a scan that never finishes is reported once maxPollMs has passed', async () => {
    const impatient = scannerFor(endpoint, { maxPollMs: 200 });
    try {
      const err = await scanErrorOf(impatient.scanImage(configFor(endpoint, 'team/slow'), { tag: 's', digest: digestOf('slow') }, signal()));
      assert.equal(err.status, 'FAILED');
      assert.equal(err.retryable, true);
      assert.match(err.message, /did not finish within 200 ms \(still IN_PROGRESS\)/);
    } finally {
      impatient.close();
    }
  });
});

describe('ECR scanner: calls per image in the normal basic-scan path', () => {
  test('one StartImageScan and two DescribeImageScanFindings per image; list and mode once', async (t) => {
    const endpoint = await startEcrEndpoint({ pollsUntilDone: 1 });
    endpoint.addRepository('team/volume', syntheticImages('volume', 10, 30));
    const scanner = scannerFor(endpoint);
    try {
      const config = configFor(endpoint, 'team/volume');
      const listed = await scanner.listImages(config, signal());
      const outcomes = await Promise.all(listed.images.map((image) => scanner.scanImage(config, image, signal())));
      assert.ok(outcomes.every((o) => o.status === 'COMPLETE' && o.findings.length === 30));
      const perImage = endpoint.callCount() / listed.images.length;
      t.diagnostic(
        `ECR calls per image: ${perImage} (ListImages ${endpoint.callCount('ListImages')}, ` +
          `GetRegistryScanningConfiguration ${endpoint.callCount('GetRegistryScanningConfiguration')}, ` +
          `StartImageScan ${endpoint.callCount('StartImageScan')}, DescribeImageScanFindings ${endpoint.callCount('DescribeImageScanFindings')})`,
      );
      assert.equal(endpoint.callCount('ListImages'), 1);
      assert.equal(endpoint.callCount('GetRegistryScanningConfiguration'), 1, 'the scanning mode is read once per registry');
      assert.equal(endpoint.callCount('StartImageScan'), 10);
      assert.equal(endpoint.callCount('DescribeImageScanFindings'), 20, 'one IN_PROGRESS poll and one final answer each');
      assert.equal(perImage, 3.2);
    } finally {
      scanner.close();
      await endpoint.close();
    }
  });
});

describe('ECR scanner on a registry with enhanced scanning', () => {
  let endpoint: EcrEndpoint;
  let scanner: EcrScanner;
  const observed = new Date('2026-03-01T12:00:00Z');

  before(async () => {
    endpoint = await startEcrEndpoint({ pageSize: 2 });
    endpoint.setScanType('ENHANCED');
    const findings = [
      enhancedFinding({
        id: 'CVE-2026-5000',
        severity: 'CRITICAL',
        packages: [
          { name: 'glibc', version: '2.26', release: '64.amzn2', epoch: 0, fixedInVersion: '0:2.26-66.amzn2' },
          { name: 'glibc-common', version: '2.26', release: '64.amzn2' },
        ],
        cvss: [
          { baseScore: 7.2, scoringVector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', version: '2.0', source: 'NVD' },
          { baseScore: 9.8, scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.1', source: 'NVD' },
        ],
        related: ['ALAS2-2026-2000', 'CVE-2026-5000'],
        sourceUrl: 'https://nvd.nist.gov/vuln/detail/CVE-2026-5000',
        description: 'glibc overflow',
        firstObservedAt: observed,
      }),
      enhancedFinding({ id: 'GHSA-aaaa-bbbb-cccc', severity: 'UNTRIAGED', packages: [{ name: 'lodash', version: '4.17.20', fixedInVersion: '4.17.21' }] }),
      enhancedFinding({ id: 'CVE-2026-5001', severity: 'LOW', packages: [{ name: 'curl', version: '8.0.1' }] }),
    ];
    endpoint.addRepository('team/inspected', [
      { digest: digestOf('e1'), tags: ['1'], enhancedFindings: findings },
      { digest: digestOf('e2'), tags: ['2'], enhancedFindings: findings.slice(2) },
      { digest: digestOf('e3'), tags: ['3'], enhancedStatus: 'PENDING' },
      { digest: digestOf('e4'), tags: ['4'], enhancedStatus: 'SCAN_ELIGIBILITY_EXPIRED' },
    ]);
    scanner = scannerFor(endpoint);
  });
  after(async () => {
    scanner.close();
    await endpoint.close();
  });

  test('reads Inspector findings without starting scans, over several pages', async () => {
    endpoint.resetCalls();
    const config = configFor(endpoint, 'team/inspected');
    const outcome = await scanner.scanImage(config, { tag: '1', digest: digestOf('e1') }, signal());
    await scanner.scanImage(config, { tag: '2', digest: digestOf('e2') }, signal());
    assert.equal(endpoint.callCount('StartImageScan'), 0);
    assert.equal(endpoint.callCount('GetRegistryScanningConfiguration'), 1);
    assert.equal(endpoint.callCount('DescribeImageScanFindings'), 3, 'two pages for the first image, one for the second');
    assert.equal(outcome.status, 'COMPLETE');
    assert.deepEqual(outcome.findings[0], {
      name: 'CVE-2026-5000',
      severity: 'CRITICAL',
      package: 'glibc',
      version: '2.26-64.amzn2',
      fixedVersion: '0:2.26-66.amzn2',
      uri: 'https://nvd.nist.gov/vuln/detail/CVE-2026-5000',
      description: 'glibc overflow',
      cvss: { score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      aliases: ['ALAS2-2026-2000'],
      path: null,
    });
    assert.deepEqual(
      outcome.findings.map((f) => [f.name, f.package, f.fixedVersion, f.severity]),
      [
        ['CVE-2026-5000', 'glibc', '0:2.26-66.amzn2', 'CRITICAL'],
        ['CVE-2026-5000', 'glibc-common', null, 'CRITICAL'],
        ['GHSA-aaaa-bbbb-cccc', 'lodash', '4.17.21', 'UNDEFINED'],
        ['CVE-2026-5001', 'curl', null, 'LOW'],
      ],
    );
  });

  test('an image Inspector has not scanned yet stays PENDING, retryable', async () => {
    const impatient = scannerFor(endpoint, { maxPollMs: 100 });
    try {
      const err = await scanErrorOf(impatient.scanImage(configFor(endpoint, 'team/inspected'), { tag: '3', digest: digestOf('e3') }, signal()));
      assert.equal(err.status, 'PENDING');
      assert.equal(err.retryable, true);
    } finally {
      impatient.close();
    }
  });

  test('SCAN_ELIGIBILITY_EXPIRED is the image status', async () => {
    const err = await scanErrorOf(scanner.scanImage(configFor(endpoint, 'team/inspected'), { tag: '4', digest: digestOf('e4') }, signal()));
    assert.equal(err.status, 'SCAN_ELIGIBILITY_EXPIRED');
    assert.match(err.message, /scan duration for this image has expired/);
  });

  test('another account’s enhanced registry is recognised from StartImageScan’s answer', async () => {
    const other = '555566667777';
    endpoint.state.registry(other, 'ENHANCED');
    endpoint.addRepository('shared/base', [
      { digest: digestOf('o1'), tags: ['a'], enhancedFindings: [enhancedFinding({ id: 'CVE-2026-6000', severity: 'HIGH', packages: [{ name: 'zlib', version: '1.3' }] })] },
      { digest: digestOf('o2'), tags: ['b'], enhancedFindings: [] },
    ], other);
    const fresh = scannerFor(endpoint);
    try {
      endpoint.resetCalls();
      const config = configFor(endpoint, 'shared/base', null, other);
      const first = await fresh.scanImage(config, { tag: 'a', digest: digestOf('o1') }, signal());
      const second = await fresh.scanImage(config, { tag: 'b', digest: digestOf('o2') }, signal());
      assert.deepEqual(first.findings.map((f) => f.name), ['CVE-2026-6000']);
      assert.deepEqual(second.findings, []);
      assert.equal(endpoint.callCount('StartImageScan'), 1, 'the ValidationException is remembered for the registry');
    } finally {
      fresh.close();
    }
  });
});

describe('ECR scanner faults: endpoints that hang or answer garbage', () => {
  let endpoint: EcrEndpoint;

  before(async () => {
    endpoint = await startEcrEndpoint();
    endpoint.addRepository('team/app', [{ digest: digestOf('f1'), tags: ['1'] }]);
  });
  after(() => endpoint.close());

  for (const mode of ['garbage', 'truncated'] as const) {
    test(`a ${mode} body is a clear, retryable error`, async () => {
      const scanner = scannerFor(endpoint);
      endpoint.setMode(mode);
      try {
        const err = await scanErrorOf(scanner.listImages(configFor(endpoint, 'team/app'), signal()));
        assert.equal(err.status, 'FAILED');
        assert.equal(err.retryable, true);
        assert.match(err.message, /^the ECR endpoint answered ListImages with HTTP 200 \(.+\), which is not ECR's JSON: /);
        if (mode === 'garbage') assert.match(err.message, /text\/html/);
      } finally {
        endpoint.setMode('normal');
        scanner.close();
      }
    });
  }

  test('an endpoint that hangs ends in a timeout error within a bounded time', async () => {
    const scanner = createEcrScanner({
      clientOptions: { requestTimeoutMs: 200, maxAttempts: 2, config: { endpoint: endpoint.url, credentials: CREDENTIALS } },
    });
    endpoint.setMode('hang');
    const started = Date.now();
    try {
      const err = await scanErrorOf(scanner.scanImage(configFor(endpoint, 'team/app'), { tag: '1', digest: digestOf('f1') }, signal()));
      assert.equal(err.status, 'FAILED');
      assert.equal(err.retryable, true);
      assert.match(err.message, /^ECR did not answer GetRegistryScanningConfiguration within 200 ms after 2 attempts$/);
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    } finally {
      endpoint.setMode('normal');
      scanner.close();
    }
  });

  test('an endpoint that is not listening is a connection error', async () => {
    const gone = await startEcrEndpoint();
    await gone.close();
    const scanner = scannerFor(gone, { clientOptions: { maxAttempts: 2, config: { endpoint: gone.url, credentials: CREDENTIALS } } });
    try {
      const err = await scanErrorOf(scanner.listImages(configFor(gone, 'team/app'), signal()));
      assert.match(err.message, /^cannot reach the ECR endpoint for ListImages after 2 attempts: connect ECONNREFUSED 127\.0\.0\.1:/);
    } finally {
      scanner.close();
    }
  });

  test('a client handed in through clientFor is used as is', async () => {
    const client = createEcrClient(REGION, { config: { endpoint: endpoint.url, credentials: CREDENTIALS } });
    const scanner = createEcrScanner({ clientFor: () => client });
    try {
      const listed = await scanner.listImages(configFor(endpoint, 'team/app'), signal());
      assert.deepEqual(listed.images, [{ tag: '1', digest: digestOf('f1') }]);
    } finally {
      scanner.close();
      client.destroy();
    }
  });
});

describe('ECR scanner credentials from the standard chain', () => {
  let endpoint: EcrEndpoint;
  const saved = { ...process.env };

  before(async () => {
    endpoint = await startEcrEndpoint({ accessKeyIds: ['AKIAENVCHAIN00000001'] });
    endpoint.addRepository('team/env', [{ digest: digestOf('env'), tags: ['1'] }]);
  });
  after(async () => {
    restoreEnv(saved);
    await endpoint.close();
  });

  /** A clean AWS environment: nothing but what the test sets, and no IMDS to wait for. */
  function useEnv(vars: Record<string, string>): void {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/ecrscan-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ecrscan-test/credentials',
      AWS_ENDPOINT_URL_ECR: endpoint.url,
      ...vars,
    });
  }

  test('keys from the environment and the endpoint from AWS_ENDPOINT_URL_ECR', async () => {
    useEnv({ AWS_ACCESS_KEY_ID: 'AKIAENVCHAIN00000001', AWS_SECRET_ACCESS_KEY: 'env-secret' });
    const scanner = createEcrScanner();
    try {
      const listed = await scanner.listImages(configFor(endpoint, 'team/env'), signal());
      assert.deepEqual(listed.images, [{ tag: '1', digest: digestOf('env') }]);
    } finally {
      scanner.close();
      restoreEnv(saved);
    }
  });

  test('keys the endpoint does not know are ACCESS_DENIED', async () => {
    useEnv({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000001', AWS_SECRET_ACCESS_KEY: 'env-secret' });
    const scanner = createEcrScanner();
    try {
      const err = await scanErrorOf(scanner.listImages(configFor(endpoint, 'team/env'), signal()));
      assert.equal(err.status, 'ACCESS_DENIED');
      assert.match(err.message, /The security token included in the request is invalid/);
      assert.doesNotMatch(err.message, /AKIAUNKNOWN|env-secret/);
    } finally {
      scanner.close();
      restoreEnv(saved);
    }
  });

  test('no credentials anywhere is a clear ACCESS_DENIED error, quickly', async () => {
    useEnv({});
    endpoint.resetCalls();
    const scanner = createEcrScanner();
    const started = Date.now();
    try {
      const err = await scanErrorOf(scanner.listImages(configFor(endpoint, 'team/env'), signal()));
      assert.equal(err.status, 'ACCESS_DENIED');
      assert.match(err.message, /^no usable AWS credentials \(environment, shared profile, SSO, container or instance role\): /);
      assert.equal(endpoint.callCount(), 0, 'nothing was sent unsigned');
      assert.ok(Date.now() - started < 5_000);
    } finally {
      scanner.close();
      restoreEnv(saved);
    }
  });
});

function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
}
