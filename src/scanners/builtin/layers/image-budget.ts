import { formatBytes } from './decompress.js';
import { LayerError } from './layer-error.js';

/**
 * What one image scan may hold at once across all its layers: the files kept for the
 * analysers (with their names and link targets) and the decoders' windows while layers
 * are decompressed. Per-file and per-layer caps bound one file and one layer; this bounds
 * the image, so that several layers each just under their caps cannot add up.
 */
export class ImageBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Takes `bytes` for `what`; throws a `LayerError` naming the budget when they do not fit. */
  take(bytes: number, what: string): void {
    if (this.used + bytes > this.maxBytes) {
      throw new LayerError('too-large', `${what}: the image needs more than the ${formatBytes(this.maxBytes)} one image scan may hold (ECRSCAN_IMAGE_MEMORY_MB)`);
    }
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get usedBytes(): number {
    return this.used;
  }
}

/** An image scan without a budget of its own (tests, tools): only the per-file and per-layer caps apply. */
export function unlimitedBudget(): ImageBudget {
  return new ImageBudget(Number.POSITIVE_INFINITY);
}
