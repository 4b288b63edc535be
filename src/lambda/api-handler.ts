import awsLambdaFastify, { type LambdaResponse, type PromiseHandler } from '@fastify/aws-lambda';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, problemType } from '../errors.js';
import { buildServiceApp, checkServiceFiles, createReleasers, openServiceCore } from '../server.js';
import { createLogger } from '../logger.js';
import { type LambdaOptions, type LambdaService, prepareLambdaService } from './lambda-service.js';

/** An API Gateway HTTP API event (payload format 2.0), the invocation's context, and the answer. */
export type ApiEvent = APIGatewayProxyEventV2;
export type ApiContext = Context;
export type ApiResult = LambdaResponse;
type Proxy = PromiseHandler<ApiEvent, ApiResult>;

export interface ApiHandler {
  (event: ApiEvent, context: ApiContext): Promise<ApiResult>;
  /** The Fastify app, once built (for `close` in tests; a function's process is never told it ends). */
  ready(): Promise<FastifyInstance>;
}

// Atom and problem documents are text: only what is not text is sent base64-encoded.
const TEXT_TYPES = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml))/;

/**
 * The HTTP API as a Lambda function behind an API Gateway HTTP API: the same Fastify app
 * as `ecrscan serve --api-only`, built once per cold start (configuration, secrets, the
 * store's pool) and handed every request's event. Scans requested here are run by the
 * scheduled function's next cycle.
 */
export function createApiHandler(options: LambdaOptions): ApiHandler {
  // Started at once (the cold start runs in the function's init phase); after a failure, by the next request.
  let built: ReturnType<typeof starting> | null = starting(options);
  const handler = async (event: ApiEvent, context: ApiContext): Promise<ApiResult> => {
    try {
      built ??= starting(options);
      return (await built).proxy(event, context);
    } catch (err) {
      if (!(err instanceof ColdStartError)) throw err;
      // The database or Secrets Manager may be back by the next request.
      built = null;
      return notReady(event);
    }
  };
  return Object.assign(handler, { ready: async () => (await (built ??= starting(options))).app });
}

/** A start whose failure is answered by the requests (a 503), never an unhandled rejection. */
function starting(options: LambdaOptions): Promise<{ app: FastifyInstance; proxy: Proxy }> {
  const built = start(options).catch((err: unknown) => {
    throw new ColdStartError(err);
  });
  built.catch(() => undefined);
  return built;
}

class ColdStartError extends Error {
  override name = 'ColdStartError';
  constructor(cause: unknown) {
    super('the API function could not start', { cause });
  }
}

/** The problem document a request gets while the function cannot start; what failed is in the log. */
function notReady(event: ApiEvent): ApiResult {
  return {
    statusCode: ERROR_CODES.NOT_READY.status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', 'retry-after': '5' },
    body: JSON.stringify({
      type: problemType('NOT_READY'),
      title: ERROR_CODES.NOT_READY.title,
      status: ERROR_CODES.NOT_READY.status,
      detail: 'the service could not reach its database or its secrets; try again shortly',
      instance: event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath,
    }),
    isBase64Encoded: false,
  };
}

async function start(options: LambdaOptions): Promise<{ app: FastifyInstance; proxy: Proxy }> {
  let prepared: LambdaService;
  try {
    prepared = await prepareLambdaService('api', options);
  } catch (err) {
    // No configuration, so no configured logger: the failure is logged at the default level.
    createLogger('info', options.logDestination).error({ err }, 'cold start failed');
    throw err;
  }
  const { config, logger } = prepared;
  const releasers = createReleasers(logger);
  try {
    const tokens = await checkServiceFiles(config);
    const core = await openServiceCore(config, { logger }, releasers);
    const app = await buildServiceApp(config, core, tokens, { scanners: null, scheduler: null, notifier: null, prioritisation: null }, logger);
    app.addHook('onClose', () => releasers.close());
    const proxy = awsLambdaFastify<ApiEvent>(app, {
      decorateRequest: false,
      binaryMimeTypes: [],
      enforceBase64: (response) => !TEXT_TYPES.test(String(response.headers['content-type'] ?? 'application/json')),
    });
    await app.ready();
    return { app, proxy };
  } catch (err) {
    logger.error({ err }, 'cold start failed');
    await releasers.close();
    throw err;
  }
}
