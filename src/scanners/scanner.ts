import type { Finding } from '../domain/finding.js';
import type { ImageStatus } from '../domain/image.js';
import type { ScanConfig } from '../domain/scan-config.js';

/** One image of a configuration: a tag and the digest it points at now. */
export interface ImageRef {
  tag: string;
  digest: string;
  /** The repository the tag belongs to, when the configuration's repository is a glob; else the configuration's. */
  repository?: string;
}

export interface ListedImages {
  images: ImageRef[];
  /** Configured tags (not globs) that the repository does not have (one repository only). */
  missingTags: string[];
  /** Repositories a glob matched, when the configuration's repository is one. */
  repositories?: string[];
  /** Tags beyond the configuration's image cap, not resolved nor scanned; absent when none were. */
  leftOut?: LeftOut;
}

export interface LeftOut {
  /** How many tags were left out. */
  count: number;
  /** The first few of them, for the report. */
  examples: string[];
}

export interface ImageScanOutcome {
  status: ImageStatus;
  findings: Finding[];
  error: string | null;
  /** Files (as in Finding.path) whose packages this scan could not establish —
   *  an analyser that failed on the file, a file over the size limit, an unsupported
   *  package database, or an ecosystem without advisory data. Open findings read from
   *  these files stay open; absent or empty means the scan is complete. */
  unsettledPaths?: string[];
}

/**
 * What every scanner does. Implementations live in one folder each and are listed in
 * `registry.ts`; the scheduler knows nothing else about them.
 */
export interface Scanner {
  readonly id: string;
  /** Part of every stored result, so results of an older scanner are recognisable. */
  readonly version: string;
  /**
   * The configuration's images, at most `maxImages` of them when given: a scanner that
   * pays a request per tag (resolving it to a digest) stops there, and reports the rest in
   * `leftOut`.
   */
  listImages(config: ScanConfig, signal: AbortSignal, maxImages?: number): Promise<ListedImages>;
  /** Scans one digest. Failures specific to the image are thrown as `ScanError`. */
  scanImage(config: ScanConfig, image: ImageRef, signal: AbortSignal): Promise<ImageScanOutcome>;
}

/**
 * A failure that belongs to one image or one configuration (not a bug): it becomes the
 * image's status and readable error. `retryable` marks failures of another host that a
 * later run may not meet (throttling, timeouts, 5xx).
 */
export class ScanError extends Error {
  constructor(
    readonly status: ImageStatus,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'ScanError';
  }
}
