/**
 * Every error a user can get, defined once with its HTTP status and title. The HTTP
 * error handler turns them into RFC 9457 problem documents; the CLI prints the detail.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, title: 'Request is not valid HTTP' },
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'Request body is not valid JSON' },
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Role too weak' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFIG_NOT_FOUND: { status: 404, title: 'Scan configuration not found' },
  SUBSCRIPTION_NOT_FOUND: { status: 404, title: 'Subscription not found' },
  SUPPRESSION_NOT_FOUND: { status: 404, title: 'Suppression not found' },
  SUPPRESSION_EXISTS: { status: 409, title: 'Suppression already exists' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NO_ADVISORY_SOURCES: { status: 409, title: 'No advisory sources configured' },
  NOT_ACCEPTABLE: { status: 406, title: 'No acceptable representation' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  EXPECTATION_FAILED: { status: 417, title: 'Expectation not supported' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  NOT_IMPLEMENTED: { status: 501, title: 'Method not implemented' },
  NOT_READY: { status: 503, title: 'Service not ready' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
  }
}

/** The problem `type` URI of a code: stable, documented in the README. */
export function problemType(code: ErrorCode): string {
  return `urn:ecrscan:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}
