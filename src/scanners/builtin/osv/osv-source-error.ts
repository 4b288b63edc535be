/**
 * An advisory source that could not be read: missing, unreadable, not a zip, refused by
 * its host. `retryable` marks failures of another host that a later refresh may not meet
 * (HTTP 5xx and 429, broken connections); everything else needs the operator.
 */
export class OsvSourceError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'OsvSourceError';
  }
}
