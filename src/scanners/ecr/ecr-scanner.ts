import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../clock.js';
import { isRepositoryGlob, type ScanConfig } from '../../domain/scan-config.js';
import { type ImageRef, type ImageScanOutcome, type ListedImages, type Scanner, ScanError } from '../scanner.js';
import type { RequestBudget } from '../request-budget.js';
import { missingExactTags, needsPushTimes, selectTags } from '../tag-selection.js';
import { ecrCall, ecrTargetOf, type EcrCall } from './ecr-call.js';
import { clientPerRegion, createEcrClient, DEFAULT_REQUEST_TIMEOUT_MS, type EcrClientOptions, type EcrSend } from './ecr-client.js';
import { awaitFindings, type PollPolicy, type ReadReason, startScan } from './ecr-image-scan.js';
import { describeTaggedImages, listTaggedImages, matchingRepositories, selectImages } from './ecr-images.js';
import { ScanModeCache } from './ecr-scan-mode.js';

export const ECR_SCANNER_ID = 'ecr';
/** Bump when what the scanner reports changes, so older results are recognisable. */
export const ECR_SCANNER_VERSION = '1.0.0';

export interface EcrScannerOptions {
  /** The client for a region; by default one SDK client per region (see createEcrClient). */
  clientFor?: (region: string) => EcrSend;
  /** Options of the default clients. */
  clientOptions?: EcrClientOptions;
  /** First pause between polls of a running scan; pauses double up to maxPollIntervalMs. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** How long one image's scan may run before it is reported as unfinished. */
  maxPollMs?: number;
  /** Per HTTP exchange with ECR, before the SDK's retries. */
  requestTimeoutMs?: number;
  /** How long a registry's scanning mode (basic or enhanced) is trusted. */
  scanModeTtlMs?: number;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** What `pushedWithin` counts back from. */
  clock?: Clock;
  /** Calls per second and in flight per region, shared with the other scanners; none: unbounded. */
  budget?: RequestBudget;
}

export interface EcrScanner extends Scanner {
  /** Ends lookups in flight and closes the clients this scanner built. */
  close(): void;
}

// A basic scan of a typical image takes from a few seconds to a minute or two.
const DEFAULT_POLL: PollPolicy = { pollIntervalMs: 2_000, maxPollIntervalMs: 15_000, maxPollMs: 10 * 60_000 };
const DEFAULT_SCAN_MODE_TTL_MS = 15 * 60_000;

/**
 * ECR's own scanning: StartImageScan, then DescribeImageScanFindings until the scan is
 * final, every page read. Registries on enhanced scanning are read, not started; past
 * the basic 24-hour quota the latest completed findings are used.
 */
export function createEcrScanner(options: EcrScannerOptions = {}): EcrScanner {
  const requestTimeoutMs = options.clientOptions?.requestTimeoutMs ?? options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const buildClient = options.clientFor ?? ((region: string) => createEcrClient(region, { ...options.clientOptions, requestTimeoutMs }));
  const clients = clientPerRegion(buildClient);
  const modes = new ScanModeCache(options.scanModeTtlMs ?? DEFAULT_SCAN_MODE_TTL_MS);
  const policy: PollPolicy = {
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL.pollIntervalMs,
    maxPollIntervalMs: options.maxPollIntervalMs ?? Math.max(DEFAULT_POLL.maxPollIntervalMs, options.pollIntervalMs ?? 0),
    maxPollMs: options.maxPollMs ?? DEFAULT_POLL.maxPollMs,
  };
  const log = options.logger;

  const clock = options.clock ?? systemClock;

  function callFor(config: ScanConfig, signal: AbortSignal, repository?: string): EcrCall {
    const target = ecrTargetOf(config, repository);
    return ecrCall(clients.clientFor(target.region), target, signal, requestTimeoutMs, options.budget);
  }

  /**
   * One repository's selection. Push times cost nothing extra in ECR (DescribeImages
   * answers them with the tags), but ListImages pages are lighter, so they are read only
   * when `newest` or `pushedWithin` asks for them.
   */
  async function listRepository(call: EcrCall, config: ScanConfig): Promise<ListedImages> {
    if (!needsPushTimes(config) && !config.exclude) {
      const { images, rejected } = await listTaggedImages(call);
      if (rejected > 0) log?.warn({ repository: call.target.repository, rejected }, 'ecr listed image ids that are not valid tags or digests');
      return selectImages(images, config.tags);
    }
    const { candidates, rejected } = needsPushTimes(config)
      ? await describeTaggedImages(call)
      : await listTaggedImages(call).then(({ images, rejected }) => ({ candidates: images.map((image) => ({ ...image, pushedAt: null })), rejected }));
    if (rejected > 0) log?.warn({ repository: call.target.repository, rejected }, 'ecr listed image ids that are not valid tags or digests');
    const images = selectTags(candidates, config, clock.now()).map(({ tag, digest }) => ({ tag, digest }));
    return { images, missingTags: missingExactTags(config, new Set(candidates.map((candidate) => candidate.tag))) };
  }

  async function listImages(config: ScanConfig, signal: AbortSignal): Promise<ListedImages> {
    if (!isRepositoryGlob(config.repository)) return listRepository(callFor(config, signal), config);
    const repositories = await matchingRepositories(callFor(config, signal), config.repository);
    const images: ImageRef[] = [];
    for (const repository of repositories) {
      try {
        const listed = await listRepository(callFor(config, signal, repository), config);
        images.push(...listed.images.map((image) => ({ ...image, repository })));
      } catch (err) {
        // Deleted between the two listings: gone, as it would be from the next run's listing.
        if (err instanceof ScanError && err.status === 'NOT_FOUND') continue;
        throw err;
      }
    }
    return { images, missingTags: [], repositories };
  }

  async function scanImage(config: ScanConfig, image: ImageRef, signal: AbortSignal): Promise<ImageScanOutcome> {
    const call = callFor(config, signal, image.repository);
    let reason: ReadReason = 'enhanced';
    if ((await modes.modeOf(call)) !== 'ENHANCED') {
      reason = await startScan(call, image.digest);
      if (reason === 'enhanced') modes.remember(call, 'ENHANCED');
      if (reason !== 'started') {
        log?.debug({ repository: config.repository, digest: image.digest, reason }, 'ecr scan not started, reading latest findings');
      }
    }
    const findings = await awaitFindings(call, image.digest, reason, policy);
    return { status: 'COMPLETE', findings, error: null };
  }

  return {
    id: ECR_SCANNER_ID,
    version: ECR_SCANNER_VERSION,
    listImages,
    scanImage,
    close() {
      modes.close();
      // Clients handed in through clientFor belong to the caller.
      if (!options.clientFor) clients.destroy();
    },
  };
}
