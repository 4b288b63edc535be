import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../clock.js';
import type { Finding } from '../../domain/finding.js';
import { isRepositoryGlob, REPOSITORY_PATTERN, repositoryMatches, type ScanConfig } from '../../domain/scan-config.js';
import type { Database } from '../../store/tables.js';
import { type ImageRef, type ImageScanOutcome, type ListedImages, type Scanner, ScanError } from '../scanner.js';
import type { RepositoryRef } from './registry/registry-client.js';
import { type AdvisoryReadiness, createAdvisoryReadiness } from './advisory-readiness.js';
import { registryBlobs } from './analysers/analyse-image.js';
import { type AnalysisPool, createAnalysisPool, DEFAULT_IMAGE_MEMORY_MB } from './analysis/analysis-pool.js';
import { PACKAGE_ANALYSERS, analyserVersions } from './analysers/registry.js';
import { listByPushTime, listConfiguredImages, repositoryOf } from './image-list.js';
import { createPushTimes } from './push-times.js';
import { needsPushTimes } from '../tag-selection.js';
import { createInventoryCache, type InventoryCache, type InventoryKey } from './inventory-cache.js';
import type { Inventory } from './inventory.js';
import type { LayerLimits } from './layers/layer-reader.js';
import type { AdvisoryLookup } from './osv/advisory-lookup.js';
import { createAdvisoryLookup } from './osv/advisory-store.js';
import { matchInventory } from './osv/matcher.js';
import { ecosystemBase } from './versioning/registry.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform, type Platform } from './registry/platform.js';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from './registry/registry-client.js';

export const BUILTIN_SCANNER_ID = 'builtin';
/** Bump when what the scanner reports changes, so older results are recognisable. */
export const BUILTIN_SCANNER_VERSION = '1.0.0';

export interface BuiltinScannerOptions {
  /** The service's database: inventories are kept there, and advisories read from it. */
  db: Kysely<Database>;
  /** Options of the registry client (insecure hosts, credentials, timeouts); ignored when `client` is given. */
  registry?: RegistryClientOptions;
  client?: RegistryClient;
  /** Where advisories come from; by default the database's. */
  advisories?: AdvisoryLookup;
  /** Whether there are advisories to match against; by default, whether the database holds an import. */
  readiness?: AdvisoryReadiness;
  /** Where images are analysed (worker threads); by default a pool of four workers with the default memory budget. */
  analysis?: AnalysisPool;
  layerLimits?: Partial<LayerLimits>;
  /** Layers of one image downloaded at once. */
  layerConcurrency?: number;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  clock?: Clock;
}

/**
 * The service's own scanner (SPEC §3): images pulled over the OCI distribution API from
 * any registry, their package databases read from the layer streams, the packages matched
 * against the stored OSV advisories. An image digest's inventory is kept, so a rescan of
 * an unchanged image downloads no layer and only matches again.
 */
export function createBuiltinScanner(options: BuiltinScannerOptions): Scanner {
  const client = options.client ?? createRegistryClient(options.registry);
  const advisories = options.advisories ?? createAdvisoryLookup(options.db);
  const readiness = options.readiness ?? createAdvisoryReadiness(options.db, { sources: [], importNow: () => null });
  const versions = analyserVersions(PACKAGE_ANALYSERS);
  const analysis = options.analysis ?? createAnalysisPool({ size: 4, memoryMb: DEFAULT_IMAGE_MEMORY_MB });
  const clock = options.clock ?? systemClock;
  const inventories: InventoryCache = createInventoryCache(options.db, { clock });
  const pushTimes = createPushTimes(options.db, client);
  const log = options.logger;

  function platformOf(config: ScanConfig): Platform {
    return config.platform ? parsePlatform(config.platform) : DEFAULT_PLATFORM;
  }

  async function listRepository(config: ScanConfig, repo: RepositoryRef, signal: AbortSignal, maxImages?: number): Promise<ListedImages> {
    if (!needsPushTimes(config)) return listConfiguredImages(client, repo, config, signal, maxImages);
    const platform = platformOf(config);
    return listByPushTime(client, repo, config, (digests) => pushTimes.of(repo, digests, platform, signal), clock.now(), signal);
  }

  async function inventoryOf(config: ScanConfig, image: ImageRef, platform: Platform, signal: AbortSignal): Promise<Inventory> {
    const key: InventoryKey = { digest: image.digest, platform: formatPlatform(platform), analysers: versions };
    const cached = await inventories.get(key);
    if (cached) {
      log?.debug({ repository: config.repository, digest: image.digest, platform: key.platform }, 'inventory from cache');
      return cached;
    }
    const repository = { ...repositoryOf(config), ...(image.repository ? { repository: image.repository } : {}) };
    const resolved = await client.resolveImage(repository, image.digest, platform, signal);
    const inventory = await analysis.analyse(
      { blobs: registryBlobs(client, repository), layers: resolved.layers, limits: options.layerLimits, concurrency: options.layerConcurrency },
      signal,
    );
    await inventories.put(key, resolved.manifestDigest, inventory);
    return inventory;
  }

  return {
    id: BUILTIN_SCANNER_ID,
    version: BUILTIN_SCANNER_VERSION,

    async listImages(config: ScanConfig, signal: AbortSignal, maxImages?: number): Promise<ListedImages> {
      const base = repositoryOf(config);
      if (!isRepositoryGlob(config.repository)) return listRepository(config, base, signal, maxImages);
      // The catalogue is the registry's word: a name that is not a repository name is never requested.
      const valid = new RegExp(REPOSITORY_PATTERN);
      const repositories = (await client.listRepositories(base.registry, signal)).filter((name) => valid.test(name) && repositoryMatches(config.repository, name));
      const images: ImageRef[] = [];
      for (const repository of repositories) {
        try {
          const listed = await listRepository(config, { ...base, repository }, signal, maxImages === undefined ? undefined : Math.max(0, maxImages - images.length));
          images.push(...listed.images.map((image) => ({ ...image, repository })));
        } catch (err) {
          // Deleted between the catalogue and its tag list: gone, as the next listing will say.
          if (err instanceof ScanError && err.status === 'NOT_FOUND') continue;
          throw err;
        }
      }
      return { images, missingTags: [], repositories };
    },

    async scanImage(config: ScanConfig, image: ImageRef, signal: AbortSignal): Promise<ImageScanOutcome> {
      const platform = platformOf(config);
      // Before any download: without advisories there is nothing a scan could report.
      await readiness.ready(signal);
      const inventory = await inventoryOf(config, image, platform, signal);
      checkAnalysed(inventory);
      if (inventory.unsupported.length > 0) {
        log?.info({ repository: config.repository, tag: image.tag, digest: image.digest, notes: inventory.unsupported }, 'image partly analysed');
      }
      const outcome = await matchOutcome(inventory, advisories);
      if (outcome.unsettledPaths?.length) log?.info({ repository: config.repository, tag: image.tag, digest: image.digest, files: outcome.unsettledPaths.slice(0, 20) }, 'some files not settled');
      return outcome;
    },
  };
}

/**
 * What an image's inventory yields against the advisories now: a scan's outcome, and a
 * re-match's. Files of ecosystems without advisory data join the unsettled ones.
 */
export async function matchOutcome(inventory: Inventory, advisories: AdvisoryLookup): Promise<ImageScanOutcome> {
  const findings = await matchInventory(inventory, advisories);
  const uncovered = await filesWithoutAdvisoryData(inventory, advisories);
  return outcomeOf({ ...inventory, unsettled: [...new Set([...inventory.unsettled, ...uncovered])].sort() }, findings);
}

/**
 * An image of which nothing could be analysed (no distribution identified, or only a
 * package database no analyser reads) is reported as such: with no packages, "no
 * findings" would say nothing about it.
 */
export function checkAnalysed(inventory: Inventory): void {
  if (inventory.packages.length > 0 || inventory.unsupported.length === 0) return;
  throw new ScanError('UNSUPPORTED_IMAGE', `image not analysed: ${inventory.unsupported.join('; ')}`);
}

/**
 * The files of packages whose ecosystem has no advisory data in the store at all (only
 * Debian's records imported, and an npm tree in the image, say): nothing found there can
 * be said fixed. Distributions without any advisory source are already unsettled.
 */
export async function filesWithoutAdvisoryData(inventory: Inventory, advisories: Pick<AdvisoryLookup, 'hasEcosystem'>): Promise<string[]> {
  const gaps = new Set(inventory.advisoryGaps.map((gap) => gap.ecosystem));
  const byBase = new Map<string, Set<string>>();
  for (const pkg of inventory.packages) {
    if (gaps.has(pkg.ecosystem)) continue;
    const base = ecosystemBase(pkg.ecosystem);
    const files = byBase.get(base) ?? new Set<string>();
    files.add(pkg.path);
    byBase.set(base, files);
  }
  const uncovered: string[] = [];
  for (const [base, files] of byBase) if (!(await advisories.hasEcosystem(base))) uncovered.push(...files);
  return uncovered;
}

/**
 * COMPLETE, or NO_ADVISORY_SOURCE for an image whose distribution OSV has no advisories
 * for: its inventory is kept and its language packages matched, but its OS packages are
 * not, which the error says. Files whose packages are not settled are named either way.
 */
export function outcomeOf(inventory: Inventory, findings: Finding[]): ImageScanOutcome {
  const unsettledPaths = inventory.unsettled.length > 0 ? { unsettledPaths: [...inventory.unsettled] } : {};
  if (inventory.advisoryGaps.length === 0) return { status: 'COMPLETE', findings, error: null, ...unsettledPaths };
  const error = inventory.advisoryGaps
    .map((gap) => `no advisory source for ${gap.distribution}: its ${gap.packages} packages (${gap.path}) are inventoried but not matched`)
    .join('; ');
  return { status: 'NO_ADVISORY_SOURCE', findings, error, ...unsettledPaths };
}
