import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { createRegistryClient } from '../src/scanners/builtin/registry/registry-client.js';
import { buildImage, buildLayer, pushImage, type BuiltImage, type LayerItem } from '../test/support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS_INSTALLED } from '../test/support/package-fixtures.js';
import { findRegistryBinary, startRegistry, type RegistryServer } from '../test/support/registry-server.js';
import { againstCurlGunzip } from './support/curl-gunzip.js';

/**
 * Pulling and analysing an image must cost about what downloading and decompressing it
 * costs anyway. The image is ~50 MB compressed: random (incompressible) files in three
 * layers, and a base layer with os-release and a dpkg status of 3,000 packages. It is
 * pulled from the reference registry on loopback, and compared with `curl` of the same
 * blobs piped through `gunzip` into /dev/null, the same number of layers at once.
 */

const RANDOM_LAYERS = 3;
const RANDOM_LAYER_BYTES = 16 * 1024 * 1024;
const FILE_BYTES = 1024 * 1024;
const STATUS_PACKAGES = 3_000;
const RUNS = 5;
/** Untimed runs first, so that JIT warm-up and zlib set-up do not count. */
const WARM_UP_RUNS = 2;
const TARGET_RATIO = 1.5;

export interface ImagePullResult {
  name: string;
  ms: number;
  target: string;
  ratio?: number;
  peakRssMiB?: number;
  /** RSS before the pulls, with the generated image held in memory by this benchmark. */
  baselineRssMiB?: number;
  compressedMiB?: number;
}

function syntheticStatus(): string {
  const stanzas = [DEBIAN_STATUS_INSTALLED.trimEnd()];
  for (let i = 0; i < STATUS_PACKAGES; i++) {
    stanzas.push(
      `Package: bench-pkg-${i}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: ${100 + i}\nMaintainer: Bench <bench@example.org>\nArchitecture: amd64\nSource: bench-src-${i % 700} (1.${i % 50}-1)\nVersion: 1.${i % 50}-1+b1\nDepends: libc6 (>= 2.34)\nDescription: synthetic package ${i}\n line one of a long description\n .\n line two`,
    );
  }
  return `${stanzas.join('\n\n')}\n`;
}

/** Also the image of the one-shot `ecrscan image` benchmark. */
export async function buildBenchImage(): Promise<BuiltImage> {
  const base = await buildLayer([
    { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
    { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
    { path: 'var/lib/dpkg/status', content: syntheticStatus() },
  ]);
  const layers = [base];
  for (let layer = 0; layer < RANDOM_LAYERS; layer++) {
    const items: LayerItem[] = [];
    for (let offset = 0; offset < RANDOM_LAYER_BYTES; offset += FILE_BYTES) items.push({ path: `opt/data${layer}/blob-${offset / FILE_BYTES}.bin`, content: randomBytes(FILE_BYTES) });
    layers.push(await buildLayer(items));
  }
  return buildImage(layers);
}

export async function benchImagePull(): Promise<ImagePullResult[]> {
  if (!findRegistryBinary()) {
    console.warn('SKIPPED: docker-registry not installed; the image pull benchmark did not run');
    return [];
  }
  const registry = await startRegistry();
  try {
    const image = await buildBenchImage();
    await pushImage({ url: registry.url }, 'bench/app', 'latest', image);
    const compressed = image.layers.reduce((sum, layer) => sum + layer.size, 0);
    const repository = { registry: registry.host, repository: 'bench/app' };
    const client = createRegistryClient({ insecureHosts: [registry.host] });
    const digests = image.layers.map((layer) => layer.digest);

    const pullAndAnalyse = async (): Promise<void> => {
      const resolved = await client.resolveImage(repository, 'latest');
      const inventory = await analyseImage({ blobs: registryBlobs(client, repository), layers: resolved.layers, concurrency: RANDOM_LAYERS + 1 });
      if (inventory.packages.length < STATUS_PACKAGES) throw new Error('the bench image was not analysed');
    };
    const { oursMs, curlMs, peakRss, baselineRss } = await againstCurlGunzip(pullAndAnalyse, { registry, repository: 'bench/app', digests }, { warmUp: WARM_UP_RUNS, timed: RUNS });
    return [
      {
        name: `pull + analyse of a ${(compressed / 1024 ** 2).toFixed(0)} MiB image (${image.layers.length} layers)`,
        ms: Math.round(oursMs),
        target: `within ${TARGET_RATIO}× of curl | gunzip`,
        ratio: Number((oursMs / curlMs).toFixed(2)),
        peakRssMiB: Math.round(peakRss / 1024 ** 2),
        baselineRssMiB: Math.round(baselineRss / 1024 ** 2),
        compressedMiB: Number((compressed / 1024 ** 2).toFixed(1)),
      },
      { name: 'curl | gunzip > /dev/null of the same blobs', ms: Math.round(curlMs), target: 'baseline' },
    ];
  } finally {
    await registry.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchImagePull());
}
