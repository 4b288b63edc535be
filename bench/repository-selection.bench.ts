import { performance } from 'node:perf_hooks';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createEcrScanner } from '../src/scanners/ecr/ecr-scanner.js';
import type { Scanner } from '../src/scanners/scanner.js';
import { createLimiter } from '../src/scheduler/limiter.js';
import { scanConfiguration } from '../src/scheduler/scan-job.js';
import type { Kysely } from 'kysely';
import { createBuiltinScanner } from '../src/scanners/builtin/builtin-scanner.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import type { Database } from '../src/store/tables.js';
import { startCountingProxy } from '../test/support/counting-proxy.js';
import { digestOf, type EcrEndpoint, startEcrEndpoint } from '../test/support/ecr-endpoint/index.js';
import { buildImage, buildLayer, pushImage } from '../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE } from '../test/support/package-fixtures.js';
import { findRegistryBinary, startRegistry } from '../test/support/registry-server.js';
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

/** Tags of the OCI repository: pushing 10,000 images to the reference registry would take most of the run. */
const OCI_TAGS = 1000;

/**
 * The same over the reference registry (docker-registry) behind a counting proxy, listing
 * only (scans of the built-in scanner are measured elsewhere): `newest` needs every tag's
 * digest and each new digest's image configuration; a rescan, the digests again.
 */
async function benchOci(): Promise<BenchRow[]> {
  if (findRegistryBinary() === null) return [{ run: 'OCI: docker-registry not installed, not measured' }];
  const registry = await startRegistry();
  const proxy = await startCountingProxy(registry);
  const db: Kysely<Database> = openSqlite(':memory:');
  try {
    await migrateToLatest(db);
    const layer = await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }]);
    const start = Date.UTC(2026, 0, 1);
    let next = 0;
    const push = async (): Promise<void> => {
      while (next < OCI_TAGS) {
        const i = next++;
        await pushImage({ url: registry.url }, 'bench/many-tags', `build-${i}`, buildImage([layer], { created: new Date(start + i * 60_000).toISOString() }));
      }
    };
    await Promise.all(Array.from({ length: 8 }, push));
    const client = createRegistryClient({ insecureHosts: [proxy.host] });
    const scanner = createBuiltinScanner({ db, client });
    const rows: BenchRow[] = [];
    for (const label of [`OCI ${OCI_TAGS} tags, newest: ${NEWEST}, first listing`, `OCI ${OCI_TAGS} tags, newest: ${NEWEST}, unchanged`]) {
      proxy.requests.length = 0;
      const started = performance.now();
      const listed = await scanner.listImages({ ...configOf({ newest: NEWEST }), registry: proxy.host, region: null, scanner: 'builtin' }, new AbortController().signal);
      const count = (prefix: string): number => proxy.requests.filter((request) => request.startsWith(prefix)).length;
      rows.push({
        run: label,
        images: listed.images.length,
        tagListPages: count('GET /v2/bench/many-tags/tags/list'),
        manifestHeads: count('HEAD /v2/bench/many-tags/manifests/'),
        manifestGets: count('GET /v2/bench/many-tags/manifests/'),
        configBlobGets: count('GET /v2/bench/many-tags/blobs/'),
        totalRequests: proxy.requests.length,
        ms: Math.round(performance.now() - started),
      });
    }
    return rows;
  } finally {
    await db.destroy();
    await proxy.close();
    await registry.stop();
  }
}

export async function benchRepositorySelection(): Promise<BenchRow[]> {
  return [...(await benchEcr()), ...(await benchOci())];
}

async function benchEcr(): Promise<BenchRow[]> {
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
