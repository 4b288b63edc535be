import type { Readable } from 'node:stream';
import type { ImageFiles } from './image-files.js';
import { ImageBudget, unlimitedBudget } from './image-budget.js';
import { mergeLayers } from './image-files.js';
import { DEFAULT_LAYER_LIMITS, readLayer, type LayerContents, type LayerLimits } from './layer-reader.js';
import type { PathSelector } from './path-selector.js';

/** Where layer blobs come from: the registry client, or anything that serves verified blobs. */
export interface BlobOpener {
  openBlob(digest: string, size: number, signal: AbortSignal): Promise<Readable>;
}

export interface ReadImageOptions {
  blobs: BlobOpener;
  layers: readonly { digest: string; size: number }[];
  selector: PathSelector;
  limits?: Partial<LayerLimits>;
  signal?: AbortSignal;
  /** Layers downloaded at once; the result does not depend on it. */
  concurrency?: number;
  /** What the whole image may hold at once; unbounded (only per-file and per-layer caps) by default. */
  budget?: ImageBudget;
}

const DEFAULT_CONCURRENCY = 3;

/**
 * Streams every layer of an image and merges them in order. Layers download in parallel,
 * but are applied in manifest order; the first failure cancels the other downloads.
 */
export async function readImageFiles(options: ReadImageOptions): Promise<ImageFiles> {
  const limits: LayerLimits = { ...DEFAULT_LAYER_LIMITS, ...options.limits };
  const budget = options.budget ?? unlimitedBudget();
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const results: LayerContents[] = new Array<LayerContents>(options.layers.length);
  let next = 0;
  let failure: unknown = null;

  async function worker(): Promise<void> {
    while (failure === null && next < options.layers.length) {
      const index = next++;
      const layer = options.layers[index];
      if (!layer) return;
      try {
        const blob = await options.blobs.openBlob(layer.digest, layer.size, signal);
        results[index] = await readLayer(blob, options.selector, limits, `layer ${index + 1} (${layer.digest})`, budget);
      } catch (err) {
        failure ??= err;
        controller.abort(err);
      }
    }
  }

  const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, options.layers.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== null) throw failure;
  return mergeLayers(results);
}
