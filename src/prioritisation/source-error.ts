/**
 * A prioritisation source that cannot be imported: unreachable, refused, or not in its
 * published format. `retryable` when another try soon may succeed (a 5xx, a broken
 * connection), so the refresh comes back sooner than its schedule.
 */
export class EnrichmentSourceError extends Error {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'EnrichmentSourceError';
    this.retryable = retryable;
  }
}
