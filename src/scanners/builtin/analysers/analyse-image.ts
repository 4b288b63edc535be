import { type AdvisoryGap, type Inventory, type InstalledPackage, sourceFileOf } from '../inventory.js';
import { parentOf } from '../layers/entry-path.js';
import type { ImageBudget } from '../layers/image-budget.js';
import type { ImageFiles } from '../layers/image-files.js';
import type { LayerLimits } from '../layers/layer-reader.js';
import { createPathSelector } from '../layers/path-selector.js';
import { type BlobOpener, readImageFiles } from '../layers/read-image.js';
import type { RegistryClient, RepositoryRef } from '../registry/registry-client.js';
import type { Analyser } from './analyser.js';
import { readOsRelease } from './os-release.js';
import { PACKAGE_ANALYSERS, UNREAD_DATABASES, analyserVersions, pathPatternsFor, type UnreadDatabase } from './registry.js';

/**
 * The inventory of an image's files: its distribution and the packages every analyser
 * finds. What cannot be reported is said in `unsupported` (a database no analyser reads,
 * no identifiable OS), so that such an image never passes for a clean one.
 */
export function analyseFiles(
  files: ImageFiles,
  analysers: readonly Analyser[] = PACKAGE_ANALYSERS,
  unread: readonly UnreadDatabase[] = UNREAD_DATABASES,
): Inventory {
  const os = readOsRelease(files);
  const osPackages: InstalledPackage[] = [];
  const languagePackages: InstalledPackage[] = [];
  const unsupported: string[] = [];
  const unsettled = new Set<string>();
  const advisoryGaps: AdvisoryGap[] = [];
  const owned = new Set<string>();
  let databaseFound = false;
  for (const analyser of analysers) {
    const result = analyser.analyse(files, os);
    databaseFound ||= result.found;
    const target = analyser.role === 'os' ? osPackages : languagePackages;
    // A loop, not `push(...)`: tens of thousands of arguments cost more than they should and could overflow the stack.
    for (const pkg of result.packages) target.push(pkg);
    for (const path of result.ownedFiles ?? []) owned.add(path);
    for (const path of result.unsettled ?? []) unsettled.add(path);
    if (result.gap) advisoryGaps.push(result.gap);
    unsupported.push(...result.notes);
  }
  for (const database of unread) {
    const present = database.paths.find((path) => files.exists(path));
    if (!present) continue;
    databaseFound = true;
    unsettled.add(present);
    unsupported.push(`${database.label} (${present}) is not analysed yet: its packages are not reported`);
  }
  if (!os) unsupported.push('no operating system identified: the image has no etc/os-release or usr/lib/os-release');
  if (!databaseFound) unsupported.push('no package database found that an analyser reads');
  const packages = osPackages;
  for (const pkg of languagePackages) if (!ownedByOs(pkg, owned)) packages.push(pkg);
  return { os, packages: packages.sort(comparePackages), analysers: analyserVersions(analysers), unsupported, unsettled: [...unsettled].sort(), advisoryGaps };
}

/**
 * A language package read from a file that the OS package database lists (Debian's
 * `python3-requests` metadata under `dist-packages`, say) is the distribution's copy,
 * patched by it and covered by its advisories: the OS package reports it.
 */
function ownedByOs(pkg: InstalledPackage, owned: ReadonlySet<string>): boolean {
  if (owned.size === 0) return false;
  const file = sourceFileOf(pkg.path);
  return owned.has(file) || owned.has(parentOf(file));
}

/** A locale-independent order, so that the same image always gives the same inventory. */
function comparePackages(a: InstalledPackage, b: InstalledPackage): number {
  return compare(a.ecosystem, b.ecosystem) || compare(a.name, b.name) || compare(a.version, b.version) || compare(a.path, b.path);
}

function compare(a: string, b: string): number {
  // Equal fields (the ecosystem, nearly always) are the same string: one identity check settles them.
  return a === b ? 0 : a < b ? -1 : 1;
}

export interface AnalyseImageOptions {
  /** Where the layer blobs come from: the registry, or the thread that downloads them. */
  blobs: BlobOpener;
  layers: readonly { digest: string; size: number }[];
  limits?: Partial<LayerLimits>;
  signal?: AbortSignal;
  analysers?: readonly Analyser[];
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
  /** What the whole image may hold at once; only the per-file and per-layer caps by default. */
  budget?: ImageBudget;
}

/** Streams an image's layers and analyses them; no layer touches the disk. */
export async function analyseImage(options: AnalyseImageOptions): Promise<Inventory> {
  const analysers = options.analysers ?? PACKAGE_ANALYSERS;
  const files = await readImageFiles({
    blobs: options.blobs,
    layers: options.layers,
    selector: createPathSelector(pathPatternsFor(analysers)),
    limits: options.limits,
    signal: options.signal,
    concurrency: options.concurrency,
    budget: options.budget,
  });
  return analyseFiles(files, analysers);
}

/** The layer blobs of an image in a registry, as `analyseImage` reads them. */
export function registryBlobs(client: Pick<RegistryClient, 'openBlob'>, repository: RepositoryRef): BlobOpener {
  return { openBlob: (digest, size, signal) => client.openBlob(repository, digest, signal, size) };
}
