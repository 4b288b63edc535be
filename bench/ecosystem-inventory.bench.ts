import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { type AnalysisPool, createAnalysisPool, DEFAULT_IMAGE_MEMORY_MB } from '../src/scanners/builtin/analysis/analysis-pool.js';
import { buildRpmSqlite, packageHeaderBlob } from '../src/scanners/builtin/analysers/rpm/rpm-header-blob.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { buildRpmDatabase, toolWorks, warnToolMissing } from '../test/support/ecosystem-packages.js';
import { buildImage, buildLayer, pushImage, zstdAvailable, type BuiltImage, type Compression, type LayerItem } from '../test/support/image-builder.js';
import type { BenchRow } from './support/table.js';
import { findRegistryBinary, startRegistry, type RegistryServer } from '../test/support/registry-server.js';
import { againstCurlGunzip, type BaselineDecompressor } from './support/curl-gunzip.js';

/**
 * Inventorying language and RPM packages must cost about what downloading and
 * decompressing the image costs anyway. Two images, pulled from the reference registry on
 * loopback and compared with `curl` of the same blobs piped through `gunzip`, the same
 * number of layers at once:
 * - 20 000 installed npm packages (10% of them nested copies), each a manifest, code, a
 *   README and a licence, in four layers, and a version 3 lock file naming them all;
 * - an RPM database of 500 packages (built by rpmbuild and `rpm -i --justdb` when rpm is
 *   installed, with file lists in every header; from written headers otherwise) beside a
 *   layer of operating-system files.
 * The npm image is measured again with zstd layers, against `curl | zstd -dcq`, and both
 * formats in the analysis pool's worker thread as the service runs them.
 */

const NPM_PACKAGES = 20_000;
const NPM_LAYERS = 4;
const RPM_PACKAGES = 500;
const RPM_FILLER_BYTES = 32 * 1024 * 1024;
const RUNS = 5;
/** Untimed runs first, so that JIT warm-up and zlib set-up do not count. */
const WARM_UP_RUNS = 2;
const TARGET_RATIO = 1.5;

const ROCKY_OS_RELEASE = 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n';

/** Code-like text: random, so that it compresses about as little as minified JavaScript. */
function code(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
}

function npmPackageFiles(dir: string, name: string, version: string): LayerItem[] {
  const manifest = {
    name,
    version,
    description: `package ${name} for the inventory benchmark`,
    main: 'index.js',
    license: 'MIT',
    repository: { type: 'git', url: `https://example.org/${name}.git` },
    dependencies: { 'bench-dep-a': '^1.0.0', 'bench-dep-b': '~2.1.0' },
  };
  return [
    { path: `${dir}/package.json`, content: JSON.stringify(manifest, null, 2) },
    { path: `${dir}/index.js`, content: code(3000) },
    { path: `${dir}/README.md`, content: `# ${name}\n\n${'Documentation of the package. '.repeat(60)}\n` },
    { path: `${dir}/LICENSE`, content: `MIT License\n\nCopyright (c) ${name}\n${'Permission is hereby granted, free of charge. '.repeat(20)}\n` },
  ];
}

async function buildNpmImage(compression: Compression = 'gzip'): Promise<{ image: BuiltImage; packages: number }> {
  const layers: LayerItem[][] = Array.from({ length: NPM_LAYERS }, () => []);
  const lockEntries: Record<string, unknown> = { '': { name: 'bench-app', version: '1.0.0' } };
  for (let i = 0; i < NPM_PACKAGES; i++) {
    const nested = i % 10 === 9;
    const name = `bench-pkg-${i}`;
    const version = `${1 + (i % 7)}.${i % 13}.${i % 5}`;
    const installPath = nested ? `node_modules/bench-pkg-${i - 1}/node_modules/${name}` : `node_modules/${name}`;
    layers[i % NPM_LAYERS]?.push(...npmPackageFiles(`srv/app/${installPath}`, name, version));
    lockEntries[installPath] = { version, resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`, integrity: `sha512-${code(86)}` };
  }
  layers[0]?.unshift({ path: 'srv/app/package-lock.json', content: JSON.stringify({ name: 'bench-app', lockfileVersion: 3, requires: true, packages: lockEntries }, null, 2) });
  const built = [];
  for (const items of layers) built.push(await buildLayer(items, { compression }));
  // The installed tree wins over the project's lock file: each package counts once.
  return { image: buildImage(built), packages: NPM_PACKAGES };
}

async function rpmDatabase(): Promise<{ bytes: Buffer; source: string }> {
  if (toolWorks('rpmbuild') && toolWorks('rpm')) {
    const subpackages = Array.from({ length: RPM_PACKAGES - 1 }, (_, i) => `bench-rpm-${i}`);
    const bytes = await buildRpmDatabase([{ name: 'bench-base', epoch: 1, version: '1.0.0', release: '1.el9', subpackages, filesPerPackage: 20 }]);
    return { bytes, source: 'rpmbuild' };
  }
  warnToolMissing('rpm', 'apt-get install rpm', 'the rpmbuild-made database (written headers are used instead)');
  const blobs = Array.from({ length: RPM_PACKAGES }, (_, i) => packageHeaderBlob({ name: `bench-rpm-${i}`, epoch: 1, version: '1.0.0', release: '1.el9', sourceRpm: 'bench-base-1.0.0-1.el9.src.rpm' }));
  return { bytes: buildRpmSqlite(blobs), source: 'written headers' };
}

async function buildRpmImage(): Promise<{ image: BuiltImage; packages: number; source: string }> {
  const database = await rpmDatabase();
  const base = await buildLayer([
    { path: 'etc/os-release', content: ROCKY_OS_RELEASE },
    { path: 'var/lib/rpm/rpmdb.sqlite', content: database.bytes },
  ]);
  const filler: LayerItem[] = [];
  for (let offset = 0, i = 0; offset < RPM_FILLER_BYTES; offset += 64 * 1024, i++) filler.push({ path: `usr/lib64/bench/lib-${i}.so`, content: randomBytes(64 * 1024) });
  return { image: buildImage([base, await buildLayer(filler)]), packages: RPM_PACKAGES, source: database.source };
}

interface BenchOptions {
  /** The baseline's decompressor; gzip unless the layers are zstd. */
  decompressor?: BaselineDecompressor;
  /** Analysed in a worker of the analysis pool, as the service does, instead of on this thread. */
  pool?: AnalysisPool;
}

async function benchImage(registry: RegistryServer, repository: string, image: BuiltImage, expected: number, name: string, options: BenchOptions = {}): Promise<BenchRow[]> {
  const decompressor = options.decompressor ?? 'gunzip';
  await pushImage({ url: registry.url }, repository, 'latest', image);
  const ref = { registry: registry.host, repository };
  const client = createRegistryClient({ insecureHosts: [registry.host] });
  const digests = image.layers.map((layer) => layer.digest);
  const compressed = image.layers.reduce((sum, layer) => sum + layer.size, 0);
  let inventoried = 0;
  const pullAndAnalyse = async (): Promise<void> => {
    const resolved = await client.resolveImage(ref, 'latest');
    const request = { blobs: registryBlobs(client, ref), layers: resolved.layers, concurrency: image.layers.length };
    const inventory = options.pool ? await options.pool.analyse(request, new AbortController().signal) : await analyseImage(request);
    inventoried = inventory.packages.length;
    if (inventoried < expected) throw new Error(`${name}: ${inventoried} packages inventoried, ${expected} expected`);
  };
  const { oursMs, curlMs, peakRss, baselineRss } = await againstCurlGunzip(pullAndAnalyse, { registry, repository, digests }, { warmUp: WARM_UP_RUNS, timed: RUNS }, decompressor);
  const where = options.pool ? ', worker thread' : '';
  return [
    {
      name: `${name}: pull + inventory${where} (${(compressed / 1024 ** 2).toFixed(1)} MiB, ${image.layers.length} layers, ${inventoried} packages)`,
      ms: Math.round(oursMs),
      target: `within ${TARGET_RATIO}× of curl | ${decompressor}`,
      ratio: Number((oursMs / curlMs).toFixed(2)),
      result: oursMs / curlMs <= TARGET_RATIO ? 'pass' : 'FAIL',
      peakRssMiB: Math.round(peakRss / 1024 ** 2),
      baselineRssMiB: Math.round(baselineRss / 1024 ** 2),
    },
    { name: `${name}: curl | ${decompressor} > /dev/null of the same blobs`, ms: Math.round(curlMs), target: 'baseline', ratio: 1, result: '—', peakRssMiB: null, baselineRssMiB: null },
  ];
}

export async function benchEcosystemInventory(): Promise<BenchRow[]> {
  if (!findRegistryBinary()) {
    console.warn('SKIPPED: docker-registry not installed; the ecosystem inventory benchmark did not run');
    return [];
  }
  if (!toolWorks('curl')) {
    console.warn('SKIPPED: curl not installed (apt-get install curl); the ecosystem inventory benchmark has no baseline and did not run');
    return [];
  }
  const registry = await startRegistry();
  const pool = createAnalysisPool({ size: 1, memoryMb: DEFAULT_IMAGE_MEMORY_MB });
  try {
    const npm = await buildNpmImage();
    const rows = await benchImage(registry, 'bench/node', npm.image, npm.packages, `${NPM_PACKAGES} npm packages`);
    rows.push(...(await benchImage(registry, 'bench/node', npm.image, npm.packages, `${NPM_PACKAGES} npm packages`, { pool })));
    if (zstdAvailable()) {
      const zstd = await buildNpmImage('zstd');
      rows.push(...(await benchImage(registry, 'bench/node-zstd', zstd.image, zstd.packages, `${NPM_PACKAGES} npm packages, zstd`, { decompressor: 'zstd' })));
      rows.push(...(await benchImage(registry, 'bench/node-zstd', zstd.image, zstd.packages, `${NPM_PACKAGES} npm packages, zstd`, { decompressor: 'zstd', pool })));
    } else console.warn('SKIPPED: zstd not installed (apt-get install zstd); the zstd rows of the ecosystem inventory benchmark did not run');
    const rpm = await buildRpmImage();
    rows.push(...(await benchImage(registry, 'bench/rocky', rpm.image, rpm.packages, `RPM database of ${RPM_PACKAGES} packages (${rpm.source})`)));
    return rows;
  } finally {
    await pool.close();
    await registry.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchEcosystemInventory());
}
