import type { Clock } from '../clock.js';
import { carriesFindings, type ImageStatus } from '../domain/image.js';
import { imageKeyOf, type ScanConfig, type ScanProgress } from '../domain/scan-config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { type ImageRef, type ImageScanOutcome, type LeftOut, type ListedImages, type Scanner, ScanError } from '../scanners/scanner.js';
import type { ImageResult, ScanResult } from '../store/store.js';
import type { Limiter } from './limiter.js';

export interface ScanJobDeps {
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  limiter: Limiter;
  /** Images one configuration may scan in a run; the rest are reported, not scanned. */
  maxImages: number;
}

/** Told how far the scan has got: once its images are listed, then after each digest. */
export type ProgressListener = (progress: ScanProgress) => void;

type ScanOutcome = Pick<ScanResult, 'images' | 'status' | 'error'>;

/**
 * Scans every image of one configuration: lists them, scans each digest once (however
 * many tags share it) within the shared concurrency bound, and returns what to commit.
 * One image's failure becomes that image's status; it never stops the others.
 */
export async function scanConfiguration(
  deps: ScanJobDeps,
  scanner: Scanner,
  config: ScanConfig,
  signal: AbortSignal,
  onProgress: ProgressListener = () => undefined,
): Promise<ScanOutcome> {
  const label = `${scanner.id}@${scanner.version}`;
  // Slots are shared per registry, so that one slow registry cannot hold them all.
  const registry = config.registry.toLowerCase();
  let listed;
  try {
    listed = capImages(config, await deps.limiter.run(() => scanner.listImages(config, signal, deps.maxImages), signal, registry), deps.maxImages);
  } catch (err) {
    signal.throwIfAborted();
    return { images: null, status: 'FAILED', error: describeFailure(deps.logger, err, config) };
  }
  const groups = groupByDigest(listed.images);
  const progress: ScanProgress = { done: 0, total: groups.length };
  onProgress({ ...progress });
  const outcomes = await Promise.all(
    groups.map(async ({ first, tags }) => {
      const outcome = await deps.limiter.run(() => scanDigest(deps, scanner, config, first, signal), signal, registry);
      deps.metrics.imageScans.inc({ scanner: scanner.id, status: outcome.status });
      progress.done += 1;
      onProgress({ ...progress });
      return tags.map(
        (tag): ImageResult => ({
          tag: imageKeyOf(config, first.repository ?? config.repository, tag),
          digest: first.digest,
          scanner: label,
          ...outcome,
          findings: carriesFindings(outcome.status) ? outcome.findings : null,
        }),
      );
    }),
  );
  const missing = listed.missingTags.map(
    (tag): ImageResult => ({ tag, digest: null, status: 'NOT_FOUND', error: `tag ${tag} does not exist in ${config.repository}`, scanner: label, findings: null }),
  );
  const images = [...outcomes.flat(), ...missing].sort((a, b) => a.tag.localeCompare(b.tag));
  if (listed.leftOut) {
    deps.logger.warn({ configId: config.id, repository: config.repository, maxImages: deps.maxImages, leftOut: listed.leftOut.count }, 'image cap reached');
  }
  return { images, ...overallStatus(images, listed.leftOut ?? null, deps.maxImages) };
}

/** The first `maxImages` images, whatever the scanner returned; the rest counted as left out. */
function capImages(config: ScanConfig, listed: ListedImages, maxImages: number): ListedImages {
  if (listed.images.length <= maxImages) return listed;
  const dropped = listed.images.slice(maxImages).map((image) => imageKeyOf(config, image.repository ?? config.repository, image.tag));
  const examples = [...(listed.leftOut?.examples ?? []), ...dropped].slice(0, 10);
  return { ...listed, images: listed.images.slice(0, maxImages), leftOut: { count: (listed.leftOut?.count ?? 0) + dropped.length, examples } };
}

async function scanDigest(deps: ScanJobDeps, scanner: Scanner, config: ScanConfig, image: ImageRef, signal: AbortSignal): Promise<ImageScanOutcome> {
  deps.metrics.scansInFlight.inc();
  try {
    return await scanner.scanImage(config, image, signal);
  } catch (err) {
    signal.throwIfAborted();
    const status: ImageStatus = err instanceof ScanError ? err.status : 'FAILED';
    return { status, findings: [], error: describeFailure(deps.logger, err, config, image) };
  } finally {
    deps.metrics.scansInFlight.dec();
  }
}

/** A ScanError is an expected outcome with a message for users; anything else is our bug, logged in full. */
function describeFailure(logger: Logger, err: unknown, config: ScanConfig, image?: ImageRef): string {
  if (err instanceof ScanError) {
    const target = `${config.registry}/${image?.repository ?? config.repository}${image ? `:${image.tag}` : ''}`;
    logger.warn({ configId: config.id, image: target, status: err.status, error: err.message }, 'scan failed');
    return err.message;
  }
  logger.error({ err, configId: config.id, repository: config.repository, tag: image?.tag }, 'scanner error');
  return `internal scanner error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * The images by digest within their repository: a digest several tags share is scanned
 * once. The same digest in two repositories is pulled from each (a registry grants pulls
 * per repository); the built-in scanner's inventory cache still reads its layers once.
 */
function groupByDigest(images: ImageRef[]): { first: ImageRef; tags: string[] }[] {
  const groups = new Map<string, { first: ImageRef; tags: string[] }>();
  for (const image of images) {
    const key = `${image.repository ?? ''}@${image.digest}`;
    const group = groups.get(key) ?? { first: image, tags: [] };
    if (!group.tags.includes(image.tag)) group.tags.push(image.tag);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * COMPLETE, PARTIAL or FAILED with a readable reason: FAILED when no image was scanned,
 * PARTIAL when some were not (or not fully: an image whose distribution has no advisory
 * source is scanned but not fully matched). Images left out by the cap make a scan
 * PARTIAL at best, and the reason says how many and which.
 */
function overallStatus(images: ImageResult[], leftOut: LeftOut | null, maxImages: number): Pick<ScanResult, 'status' | 'error'> {
  const incomplete = images.filter((image) => image.status !== 'COMPLETE');
  const first = incomplete[0];
  const failures = incomplete.length === 0 ? null : `${incomplete.length} of ${images.length} images not fully scanned; tag ${first?.tag}: ${first?.error ?? first?.status}`;
  const capped = leftOut
    ? `${leftOut.count} more images than the cap of ${maxImages} per configuration were left out (ECRSCAN_MAX_IMAGES; narrow tags to choose): ` +
      `${leftOut.examples.join(', ')}${leftOut.count > leftOut.examples.length ? ', …' : ''}`
    : null;
  const error = [capped, failures].filter((part) => part !== null).join('; ') || null;
  if (incomplete.length === 0) return { status: capped ? 'PARTIAL' : 'COMPLETE', error };
  const scanned = images.some((image) => carriesFindings(image.status));
  return { status: scanned ? 'PARTIAL' : 'FAILED', error };
}
