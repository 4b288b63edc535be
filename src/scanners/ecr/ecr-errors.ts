import { ScanError } from '../scanner.js';

/** What a failed ECR call was about, for the message users read. */
export interface EcrCallSite {
  operation: string;
  region: string;
  registryId: string;
  repository: string;
  digest?: string;
  requestTimeoutMs?: number;
}

interface ErrorFacts {
  name: string;
  message: string;
  code: string | undefined;
  httpStatus: number | undefined;
  attempts: number | undefined;
  fault: string | undefined;
  contentType: string | undefined;
}

const ACCESS_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'SignatureDoesNotMatch',
  'UnauthorizedOperation',
]);

/** The SDK's own throttling vocabulary (@smithy retry classification), plus ECR's. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns whatever the SDK threw into a ScanError with one readable line: the image
 * status it means, and whether a later run may succeed (throttling, timeouts, 5xx).
 */
export function toScanError(err: unknown, site: EcrCallSite): ScanError {
  if (err instanceof ScanError) return err;
  const facts = factsOf(err);
  const where = `registry ${site.registryId} (${site.region})`;
  const tries = facts.attempts && facts.attempts > 1 ? ` after ${facts.attempts} attempts` : '';
  if (facts.name === 'RepositoryNotFoundException') {
    return new ScanError('NOT_FOUND', `repository "${site.repository}" does not exist in ECR ${where}`);
  }
  if (facts.name === 'ImageNotFoundException') {
    const what = site.digest ? `image ${site.digest}` : 'the image';
    return new ScanError('NOT_FOUND', `${what} is no longer in repository "${site.repository}" (deleted since it was listed)`);
  }
  if (facts.name === 'CredentialsProviderError') {
    return new ScanError(
      'ACCESS_DENIED',
      `no usable AWS credentials (environment, shared profile, SSO, container or instance role): ${oneLine(facts.message)}`,
    );
  }
  if (ACCESS_ERRORS.has(facts.name) || facts.httpStatus === 403) {
    return new ScanError('ACCESS_DENIED', `access denied by ECR for ${site.operation} on ${where}: ${oneLine(facts.message)}`);
  }
  if (THROTTLING_ERRORS.has(facts.name) || facts.httpStatus === 429) {
    return new ScanError('FAILED', `ECR throttled ${site.operation}${tries}; a later run will retry`, true);
  }
  if (facts.name === 'TimeoutError' || facts.code === 'ETIMEDOUT') {
    const limit = site.requestTimeoutMs ? ` within ${site.requestTimeoutMs} ms` : '';
    return new ScanError('FAILED', `ECR did not answer ${site.operation}${limit}${tries}`, true);
  }
  if (facts.code && CONNECTION_CODES.has(facts.code)) {
    return new ScanError('FAILED', `cannot reach the ECR endpoint for ${site.operation}${tries}: ${oneLine(facts.message)}`, true);
  }
  if (isDeserialisationFailure(facts)) {
    const status = facts.httpStatus ? `HTTP ${facts.httpStatus}` : 'a response';
    const type = facts.contentType ? ` (${facts.contentType})` : '';
    return new ScanError(
      'FAILED',
      `the ECR endpoint answered ${site.operation} with ${status}${type}, which is not ECR's JSON: ${oneLine(facts.message)}`,
      true,
    );
  }
  if (facts.fault === 'server' || (facts.httpStatus !== undefined && facts.httpStatus >= 500)) {
    return new ScanError('FAILED', `ECR failed on ${site.operation}${tries}: ${facts.name}: ${oneLine(facts.message)}`, true);
  }
  return new ScanError('FAILED', `ECR ${site.operation} failed: ${facts.name}: ${oneLine(facts.message)}`);
}

function factsOf(err: unknown): ErrorFacts {
  if (!(err instanceof Error)) return { ...EMPTY, message: String(err) };
  const e = err as Error & {
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
    $response?: { headers?: Record<string, unknown> };
  };
  const contentType = e.$response?.headers?.['content-type'];
  return {
    name: e.name,
    message: e.message,
    code: typeof e.code === 'string' ? e.code : undefined,
    httpStatus: typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined,
    attempts: typeof e.$metadata?.attempts === 'number' ? e.$metadata.attempts : undefined,
    fault: typeof e.$fault === 'string' ? e.$fault : undefined,
    contentType: typeof contentType === 'string' ? contentType : undefined,
  };
}

const EMPTY: ErrorFacts = {
  name: 'Error',
  message: '',
  code: undefined,
  httpStatus: undefined,
  attempts: undefined,
  fault: undefined,
  contentType: undefined,
};

function isDeserialisationFailure(facts: ErrorFacts): boolean {
  return facts.name === 'SyntaxError' || facts.message.includes('Deserialization error');
}

const SDK_HINT = /\s*Deserialization error: to see the raw response.*$/s;
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g;
const SIGNATURE = /(Signature|X-Amz-Security-Token|X-Amz-Credential)=[^\s&,]+/gi;
const MAX_MESSAGE = 300;

/** One line, without the SDK's debugging hint, without credentials, of bounded length. */
export function oneLine(message: string): string {
  const line = message.replace(SDK_HINT, '').replace(ACCESS_KEY_ID, '[redacted]').replace(SIGNATURE, '$1=[redacted]').replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line || 'no message';
}

/** The error's name, for the few places that branch on ECR's own answer. */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}
