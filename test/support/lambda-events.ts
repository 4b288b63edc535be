import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiContext, ApiEvent } from '../../src/lambda/api-handler.js';

/**
 * API Gateway HTTP API events (payload format 2.0) built on AWS's documented sample
 * (test/fixtures/aws-events): each request's method, path, query, headers and body go in
 * the fields API Gateway fills with them, for the stack's `/{proxy+}` route on the
 * `$default` stage (so no stage name precedes the path).
 */

const SAMPLE = JSON.parse(readFileSync(new URL('../fixtures/aws-events/apigateway-http-api-v2.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export interface ApiRequest {
  method: string;
  /** Path with its query, as curl would send it. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Sent base64-encoded, as API Gateway does with bodies it takes for binary. */
  base64?: boolean;
}

// curl's own headers, in place of the sample's browser ones.
const CURL_HEADERS = { accept: '*/*', 'user-agent': 'curl/8.5.0' };
const BROWSER_ONLY = ['accept', 'accept-language', 'content-length', 'sec-fetch-dest', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-user', 'upgrade-insecure-requests', 'user-agent'];

export function httpApiEvent(request: ApiRequest): ApiEvent {
  const event = structuredClone(SAMPLE) as Record<string, unknown> & { requestContext: Record<string, unknown> & { http: Record<string, unknown> } };
  const [path = '/', rawQuery = ''] = request.url.split(/\?(.*)/s);
  const routeKey = path === '/' ? 'ANY /' : 'ANY /{proxy+}';
  const sampleHeaders = Object.fromEntries(Object.entries(event.headers as Record<string, string>).filter(([name]) => !BROWSER_ONLY.includes(name)));
  const given = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const headers: Record<string, string> = { ...sampleHeaders, ...CURL_HEADERS, ...given };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  event.routeKey = routeKey;
  event.rawPath = path;
  event.rawQueryString = rawQuery;
  event.headers = headers;
  const query = new URLSearchParams(rawQuery);
  if ([...query.keys()].length > 0) {
    // Format 2.0 joins repeated parameters with commas.
    event.queryStringParameters = Object.fromEntries([...new Set(query.keys())].map((key) => [key, query.getAll(key).join(',')]));
  }
  if (path !== '/') event.pathParameters = { proxy: path.slice(1) };
  event.requestContext = {
    ...event.requestContext,
    routeKey,
    stage: '$default',
    requestId: randomUUID(),
    timeEpoch: Date.now(),
    http: { ...event.requestContext.http, method: request.method, path, userAgent: headers['user-agent'] },
  };
  if (request.body === undefined) {
    delete event.body;
    event.isBase64Encoded = false;
  } else {
    event.body = request.base64 ? Buffer.from(request.body).toString('base64') : request.body;
    event.isBase64Encoded = request.base64 === true;
  }
  return event as unknown as ApiEvent;
}

/** The Lambda context the runtime passes, with the fields a handler may read. */
export function lambdaContext(functionName: string, remainingMs = 29_000): ApiContext & { getRemainingTimeInMillis(): number } {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-2:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as ApiContext & { getRemainingTimeInMillis(): number };
}
