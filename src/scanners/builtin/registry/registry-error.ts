import type { ImageStatus } from '../../../domain/image.js';
import { ScanError } from '../../scanner.js';

/**
 * Why talking to a registry failed. The kind decides the image status users see and
 * whether a later run may succeed (throttling, 5xx, timeouts and broken connections are
 * the other host's passing trouble; everything else will fail the same way again).
 */
export type RegistryErrorKind =
  | 'unauthorized'
  | 'denied'
  | 'not-found'
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'network'
  | 'invalid-response'
  | 'digest-mismatch'
  | 'too-large'
  | 'unsupported'
  | 'configuration';

const STATUS_OF_KIND: Record<RegistryErrorKind, ImageStatus> = {
  unauthorized: 'ACCESS_DENIED',
  denied: 'ACCESS_DENIED',
  'not-found': 'NOT_FOUND',
  throttled: 'FAILED',
  unavailable: 'FAILED',
  timeout: 'FAILED',
  network: 'FAILED',
  'invalid-response': 'FAILED',
  'digest-mismatch': 'FAILED',
  'too-large': 'FAILED',
  unsupported: 'UNSUPPORTED_IMAGE',
  configuration: 'FAILED',
};

const RETRYABLE_KINDS: ReadonlySet<RegistryErrorKind> = new Set(['throttled', 'unavailable', 'timeout', 'network']);

/** A failure of a registry (or of what it served) that belongs to one image or repository. */
export class RegistryError extends ScanError {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly httpStatus: number | null = null,
  ) {
    super(STATUS_OF_KIND[kind], message, RETRYABLE_KINDS.has(kind));
    this.name = 'RegistryError';
  }
}

/** The kind of error an HTTP status of a registry stands for. */
export function kindOfStatus(status: number): RegistryErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'denied';
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  return 'invalid-response';
}
