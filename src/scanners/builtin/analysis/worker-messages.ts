import type { ImageStatus } from '../../../domain/image.js';
import { ScanError } from '../../scanner.js';
import { AnalyserError } from '../analysers/analyser.js';
import type { Inventory } from '../inventory.js';
import { LayerError, type LayerErrorKind } from '../layers/layer-error.js';
import type { LayerLimits } from '../layers/layer-reader.js';

/**
 * What the scanning thread and an analysis worker say to each other. The scanning thread
 * downloads (the registry client, its credentials and its verification stay there); the
 * worker decompresses, parses tar, keeps the files of interest and runs the analysers.
 * Layer bytes flow with credit: a few chunks of a layer are sent ahead, and the worker
 * acknowledges each once its reader has room for more, so a slow analysis slows the
 * download instead of filling memory.
 */

export interface AnalysisJob {
  layers: { digest: string; size: number }[];
  limits: Partial<LayerLimits>;
  concurrency: number | undefined;
  /** What the image may hold at once (kept files and decoder windows), in bytes. */
  budgetBytes: number;
}

export type ToWorker =
  | { type: 'start'; job: AnalysisJob }
  | { type: 'chunk'; layer: number; bytes: Uint8Array }
  | { type: 'end'; layer: number }
  /** The download failed on the scanning thread, which keeps the error. */
  | { type: 'failed'; layer: number };

export type FromWorker =
  | { type: 'open'; layer: number }
  /** A chunk of the layer was taken into the worker's reader, which has room for more. */
  | { type: 'taken'; layer: number }
  | { type: 'close'; layer: number }
  | { type: 'done'; inventory: Inventory }
  | { type: 'error'; error: SerializedError };

/** An error crossing the thread boundary: the image's own failures keep their class and status. */
export interface SerializedError {
  name: string;
  message: string;
  status: ImageStatus | null;
  retryable: boolean;
  kind: string | null;
  /** A download failure: the scanning thread throws its own error for that layer. */
  blobLayer: number | null;
  stack: string | null;
}

/** Marks a layer stream that ended because its download failed on the scanning thread. */
export class BlobFailed extends Error {
  constructor(readonly layer: number) {
    super(`layer ${layer + 1} could not be downloaded`);
    this.name = 'BlobFailed';
  }
}

/** `blobLayer`: a layer whose download failed, when there is one: that failure is the cause. */
export function serializeError(err: unknown, blobLayer: number | null): SerializedError {
  const error = err instanceof Error ? err : new Error(String(err));
  const scan = err instanceof ScanError ? err : null;
  return {
    name: error.name,
    message: error.message,
    status: scan?.status ?? null,
    retryable: scan?.retryable ?? false,
    kind: err instanceof LayerError ? err.kind : null,
    blobLayer,
    stack: error.stack ?? null,
  };
}

export function deserializeError(error: SerializedError): Error {
  if (error.name === 'LayerError' && error.kind) return new LayerError(error.kind as LayerErrorKind, error.message);
  if (error.name === 'AnalyserError') return new AnalyserError(error.message);
  if (error.status) return new ScanError(error.status, error.message, error.retryable);
  // A bug in the worker: its stack, for the log.
  const bug = new Error(error.message);
  bug.name = error.name;
  if (error.stack) bug.stack = error.stack;
  return bug;
}
