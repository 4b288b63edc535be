import type { ImageStatus } from '../../../domain/image.js';
import { ScanError } from '../../scanner.js';

/** What made a layer unreadable: all of it is the image's fault, none of it passes with time. */
export type LayerErrorKind = 'unsafe-path' | 'too-large' | 'malformed' | 'unsupported-format';

export class LayerError extends ScanError {
  constructor(
    readonly kind: LayerErrorKind,
    message: string,
  ) {
    const status: ImageStatus = kind === 'unsupported-format' ? 'UNSUPPORTED_IMAGE' : 'FAILED';
    super(status, message, false);
    this.name = 'LayerError';
  }
}
