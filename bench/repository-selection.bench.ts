import { performance } from 'node:perf_hooks';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createEcrScanner } from '../src/scanners/ecr/ecr-scanner.js';
import type { Scanner } from '../src/scanners/scanner.js';
import { createLimiter } from '../src/scheduler/limiter.js';
import { scanConfiguration } from '../src/scheduler/scan-job.js';
import { digestOf, type EcrEndpoint, startEcrEndpoint } from '../test/support/ecr-endpoint/index.js';
import type { BenchRow } from './support/table.js';

/**
 * What `newest` saves a registry (target: a repository of 10,000 tags with `newest: 10`
 * costs the listing pages plus 10 image scans' requests; an unchanged repository's rescan,
 * ≤ 3 requests). One ECR repository of 10,000 tagged images pushed a minute apart, scanned
 * through the scheduler's own scan job and the real AWS SDK against the ECR-compatible
 * endpoint, which counts every request. The reference, in the same process: the same
 * repository with every tag selected (the pre-existing behaviour), which stops at the
 * default image cap of 1,000.
 */

const TAGS = 10_000;
const NEWEST = 10;
const MAX_IMAGES = 1000;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function configOf(overrides: Partial<ScanConfig>): ScanConfig {
  return {
    id: 'bench',
    created: new Date(),
    region: 'us-west-2',
    registry: '123456789012',
    repository: 'bench/many-tags',
    tags: null,
    schedule: null,
    scanner: 'ecr',
    platform: null,
    ...overrides,
  };
}

async function run(endpoint: EcrEndpoint, scanner: Scanner, config: ScanConfig, label: string): Promise<BenchRow> {
  endpoint.resetCalls();
  const deps = { clock: { now: () => new Date() }, logger: createLogger('silent'), metrics: createMetrics(), limiter: createLimiter(8), maxImages: MAX_IMAGES };
  const started = performance.now();
  const outcome = await scanConfiguration(deps, scanner, config, new AbortController().signal);
  const ms = performance.now() - started;
  const listing = endpoint.callCount('DescribeImages') + endpoint.callCount('ListImages') + endpoint.callCount('DescribeRepositories');
  return {
    run: label,
    images: outcome.images?.length ?? 0,
    status: outcome.status,
    listingRequests: listing,
    scanRequests: endpoint.callCount() - listing,
    totalRequests: endpoint.callCount(),
    ms: Math.round(ms),
  };
}

export async function benchRepositorySelection(): Promise<BenchRow[]> {
  const endpoint = await startEcrEndpoint({ pollsUntilDone: 0 });
  const start = Date.now() - TAGS * 60_000;
  endpoint.addRepository(
    'bench/many-tags',
    Array.from({ length: TAGS }, (_, i) => ({ digest: digestOf(`many:${i}`), tags: [`build-${i}`], pushedAt: new Date(start + i * 60_000) })),
  );
  const scanner = createEcrScanner({
    pollIntervalMs: 5,
    clientOptions: { requestTimeoutMs: 10_000, maxAttempts: 4, config: { endpoint: endpoint.url, credentials: CREDENTIALS } },
  });
  try {
    const newest = configOf({ newest: NEWEST });
    const rows = [
      await run(endpoint, scanner, newest, `newest: ${NEWEST}, first run`),
      await run(endpoint, scanner, newest, `newest: ${NEWEST}, unchanged rescan`),
      await run(endpoint, scanner, configOf({ newest: NEWEST, repository: 'bench/*' }), `repository bench/*, newest: ${NEWEST}`),
      await run(endpoint, scanner, configOf({}), `reference: every tag (cap ${MAX_IMAGES})`),
    ];
    return rows;
  } finally {
    (scanner as { close?: () => void }).close?.();
    await endpoint.close();
  }
}
