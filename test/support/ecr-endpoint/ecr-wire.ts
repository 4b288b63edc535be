/**
 * The parts of ECR's wire protocol (AWS JSON 1.1) that every operation shares: error
 * shapes, request member checks and opaque `nextToken` pagination.
 */

export const JSON_11 = 'application/x-amz-json-1.1';
export const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

/** An error as ECR answers it: `{"__type": "...", "message": "..."}` with its HTTP status. */
export class EcrWireError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function invalidParameter(member: string, constraint: string): EcrWireError {
  return new EcrWireError('InvalidParameterException', `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`);
}

export function requiredString(body: JsonObject, member: string): string {
  const value = body[member];
  if (typeof value !== 'string' || value === '') {
    throw new EcrWireError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function optionalString(body: JsonObject, member: string): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new EcrWireError('SerializationException', `Member ${member} must be a string`);
  return value;
}

export function registryIdOf(body: JsonObject, callerAccount: string): string {
  const registryId = optionalString(body, 'registryId') ?? callerAccount;
  if (!/^[0-9]{12}$/.test(registryId)) invalidParameterThrow('registryId', 'Member must satisfy regular expression pattern: [0-9]{12}');
  return registryId;
}

function invalidParameterThrow(member: string, constraint: string): never {
  throw invalidParameter(member, constraint);
}

export interface ImageIdentifier {
  imageDigest?: string;
  imageTag?: string;
}

export function imageIdOf(value: unknown, member = 'imageId'): ImageIdentifier {
  if (!isObject(value)) {
    throw new EcrWireError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  const imageDigest = optionalString(value, 'imageDigest');
  const imageTag = optionalString(value, 'imageTag');
  if (!imageDigest && !imageTag) invalidParameterThrow(member, 'imageDigest or imageTag must be given');
  return { ...(imageDigest ? { imageDigest } : {}), ...(imageTag ? { imageTag } : {}) };
}

/** How ECR names an image in its error messages. */
export function describeImageId(id: ImageIdentifier): string {
  return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
}

export interface PageRequest {
  offset: number;
  size: number;
}

/** Reads `maxResults` (1–1000, default 100) and `nextToken`, capped by the endpoint's page size. */
export function pageRequestOf(body: JsonObject, operation: string, pageCap: number): PageRequest {
  const maxResults = body.maxResults ?? 100;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
    invalidParameterThrow('maxResults', 'Member must have value between 1 and 1000');
  }
  const token = optionalString(body, 'nextToken');
  const offset = token === undefined ? 0 : decodeToken(token, operation);
  return { offset, size: Math.min(maxResults, pageCap) };
}

/** Slices one page and the token of the next one (absent on the last page, as ECR does). */
export function page<T>(items: readonly T[], request: PageRequest, operation: string): { items: T[]; nextToken?: string } {
  const end = request.offset + request.size;
  const slice = items.slice(request.offset, end);
  return end < items.length ? { items: slice, nextToken: encodeToken(end, operation) } : { items: slice };
}

function encodeToken(offset: number, operation: string): string {
  return Buffer.from(JSON.stringify({ op: operation, offset })).toString('base64');
}

function decodeToken(token: string, operation: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (isObject(parsed) && parsed.op === operation && typeof parsed.offset === 'number' && parsed.offset >= 0) {
      return parsed.offset;
    }
  } catch {
    // falls through to ECR's answer for a token it did not issue
  }
  throw invalidParameter('nextToken', 'Invalid pagination token');
}

/** Timestamps travel as epoch seconds in AWS JSON 1.1. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
