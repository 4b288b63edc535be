import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { systemClock } from '../../clock.js';
import type { ExportedImage } from '../../exports/export-inputs.js';
import type { ImageScanOutcome } from '../../scanners/scanner.js';
import { analyseImage, registryBlobs } from '../../scanners/builtin/analysers/analyse-image.js';
import { PACKAGE_ANALYSERS, analyserVersions } from '../../scanners/builtin/analysers/registry.js';
import { checkAnalysed, matchOutcome } from '../../scanners/builtin/builtin-scanner.js';
import { createInventoryCache, type InventoryKey } from '../../scanners/builtin/inventory-cache.js';
import type { Inventory } from '../../scanners/builtin/inventory.js';
import { ImageBudget } from '../../scanners/builtin/layers/image-budget.js';
import type { BlobOpener } from '../../scanners/builtin/layers/read-image.js';
import { createAdvisoryLookup, readImportSource } from '../../scanners/builtin/osv/advisory-store.js';
import { defaultCredentialSource, envRealmPins } from '../../scanners/builtin/registry/credentials.js';
import { formatPlatform, type Platform } from '../../scanners/builtin/registry/platform.js';
import { createRegistryClient } from '../../scanners/builtin/registry/registry-client.js';
import { migrateToLatest } from '../../store/kysely-store.js';
import { openSqlite } from '../../store/sqlite/open-sqlite.js';
import type { Database } from '../../store/tables.js';
import { CliError } from '../cli-error.js';
import { openImageArchive } from './image-archive.js';
import { SCAN_ERROR_EXIT } from './image-options.js';
import type { ImageReference } from './image-reference.js';
import type { ScanProgress } from './scan-progress.js';

/** What `ecrscan image` scans: an image in a registry, or a local archive. */
export type ScanTarget = { kind: 'registry'; reference: ImageReference } | { kind: 'archive'; path: string };

export interface LocalScanOptions {
  /** Kept between runs: the advisories imported and the inventories of images scanned. */
  cacheDir: string;
  osvSources: readonly string[];
  /** Re-import a source only when its last import is older than this (the service refreshes every 6 hours too). */
  advisoryMaxAgeMs: number;
  insecureRegistries: readonly string[];
  platform: Platform;
  imageMemoryMb: number;
  env: NodeJS.ProcessEnv;
  progress: ScanProgress;
  signal: AbortSignal;
}

export interface LocalScanResult {
  image: ExportedImage;
  inventory: Inventory;
  outcome: ImageScanOutcome;
  /** Whether the inventory came from the local database (no layer downloaded). */
  cached: boolean;
}

/**
 * The built-in scanner's pipeline in this process, on a SQLite database of its own in
 * `cacheDir`: advisories imported there once (a source imported recently is not read
 * again), the image's inventory kept by digest, so that a second scan of the same image
 * downloads nothing and only matches again. Failures of the scan are `CliError`s with
 * `SCAN_ERROR_EXIT`.
 */
export async function scanLocally(target: ScanTarget, options: LocalScanOptions): Promise<LocalScanResult> {
  const db = await openCache(options.cacheDir);
  try {
    await importAdvisories(db, options);
    const versions = analyserVersions(PACKAGE_ANALYSERS);
    const inventories = createInventoryCache(db, { clock: systemClock });
    const located = target.kind === 'registry' ? await fromRegistry(target.reference, options) : await fromArchive(target.path, options);
    const key: InventoryKey = { digest: located.image.digest, platform: located.image.platform ?? formatPlatform(options.platform), analysers: versions };
    let inventory = await inventories.get(key);
    const cached = inventory !== null;
    if (inventory === null) {
      const source = await located.open();
      try {
        const totalBytes = source.layers.reduce((sum, layer) => sum + layer.size, 0);
        inventory = await analyseImage({
          blobs: options.progress.counting(source.blobs, source.layers.length, totalBytes),
          layers: source.layers,
          signal: options.signal,
          budget: new ImageBudget(options.imageMemoryMb * 1024 * 1024),
        });
      } finally {
        await source.close();
      }
      await inventories.put(key, source.manifestDigest, inventory);
    }
    options.progress.packages(inventory.packages.length);
    checkAnalysed(inventory);
    const outcome = await matchOutcome(inventory, createAdvisoryLookup(db));
    return { image: located.image, inventory, outcome, cached };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(err instanceof Error ? err.message : String(err), SCAN_ERROR_EXIT);
  } finally {
    options.progress.done();
    await db.destroy();
  }
}

async function openCache(dir: string): Promise<Kysely<Database>> {
  try {
    await mkdir(dir, { recursive: true });
    // SQLite only, opened directly: the store's PostgreSQL side would only cost start-up time here.
    const db = openSqlite(join(dir, 'ecrscan.db'));
    await migrateToLatest(db).catch(async (err: unknown) => {
      await db.destroy();
      throw err;
    });
    return db;
  } catch (err) {
    throw new CliError(`cannot open the local database in ${dir}: ${err instanceof Error ? err.message : String(err)}`, SCAN_ERROR_EXIT);
  }
}

/** Imports the sources not imported within `advisoryMaxAgeMs`; without any advisories at all, the scan cannot say anything. */
async function importAdvisories(db: Kysely<Database>, options: LocalScanOptions): Promise<void> {
  const now = Date.now();
  const due: string[] = [];
  for (const source of options.osvSources) {
    const previous = await readImportSource(db, source);
    if (!previous || now - previous.imported_at > options.advisoryMaxAgeMs) due.push(source);
  }
  if (due.length > 0) {
    options.progress.step(`importing advisories from ${due.length} source${due.length === 1 ? '' : 's'}`);
    // Loaded only when an import is due: a warm run does without the zip and download code.
    const { importOsvSources } = await import('../../scanners/builtin/osv/osv-importer.js');
    const outcomes = await importOsvSources(db, due, { dataDir: options.cacheDir, signal: options.signal });
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed && !failed.ok) throw new CliError(`advisory source ${failed.source}: ${failed.error}`, SCAN_ERROR_EXIT);
  }
  const any = await db.selectFrom('osv_advisories').select('id').limit(1).executeTakeFirst();
  if (!any) throw new CliError('no advisory data: set ECRSCAN_OSV_SOURCES to OSV sources (directories or zips of OSV records, or https URLs of zips)', SCAN_ERROR_EXIT);
}

/** Where an image's layers come from, opened only when its inventory is not kept already. */
interface LocatedImage {
  image: ExportedImage;
  open(): Promise<{ manifestDigest: string; layers: { digest: string; size: number }[]; blobs: BlobOpener; close(): Promise<void> }>;
}

async function fromRegistry(reference: ImageReference, options: LocalScanOptions): Promise<LocatedImage> {
  const client = createRegistryClient({
    insecureHosts: options.insecureRegistries,
    credentials: defaultCredentialSource(),
    allowedRealms: envRealmPins(options.env),
  });
  const repo = { registry: reference.registry, repository: reference.repository };
  options.progress.step(`resolving ${reference.display}`);
  const digest = reference.digest ?? (await client.resolveDigest(repo, reference.tag ?? 'latest', options.signal));
  const platform = formatPlatform(options.platform);
  return {
    image: { name: reference.display, digest, repository: `${reference.registry}/${reference.repository}`, platform },
    async open() {
      const resolved = await client.resolveImage(repo, digest, options.platform, options.signal);
      return { manifestDigest: resolved.manifestDigest, layers: resolved.layers, blobs: registryBlobs(client, repo), close: async () => undefined };
    },
  };
}

async function fromArchive(path: string, options: LocalScanOptions): Promise<LocatedImage> {
  const archive = await openImageArchive(path, options.platform);
  // The archive is indexed to learn its digest; it stays open only when its layers are read.
  await archive.close();
  return {
    image: { name: path, digest: archive.digest, repository: null, platform: archive.platform ?? formatPlatform(options.platform) },
    async open() {
      const reopened = await openImageArchive(path, options.platform);
      return { manifestDigest: reopened.digest, layers: reopened.layers, blobs: reopened.blobs, close: () => reopened.close() };
    },
  };
}
