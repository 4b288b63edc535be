import awsLambdaFastify, { type LambdaResponse, type PromiseHandler } from '@fastify/aws-lambda';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { FastifyInstance } from 'fastify';
import { buildServiceApp, checkServiceFiles, createReleasers, openServiceCore } from '../server.js';
import { type LambdaOptions, prepareLambdaService } from './lambda-service.js';

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
  const built = start(options);
  // A failed cold start is reported by every request, not as an unhandled rejection.
  built.catch(() => undefined);
  const handler = async (event: ApiEvent, context: ApiContext): Promise<ApiResult> => (await built).proxy(event, context);
  return Object.assign(handler, { ready: async () => (await built).app });
}

async function start(options: LambdaOptions): Promise<{ app: FastifyInstance; proxy: Proxy }> {
  const { config, logger } = await prepareLambdaService('api', options);
  const releasers = createReleasers(logger);
  try {
    const tokens = await checkServiceFiles(config);
    const core = await openServiceCore(config, { logger }, releasers);
    const app = await buildServiceApp(config, core, tokens, { scanners: null, scheduler: null, notifier: null }, logger);
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
