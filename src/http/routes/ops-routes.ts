import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import { Problem } from '../schemas.js';
import type { SummaryCache } from '../summary-cache.js';

const READY_TIMEOUT_MS = 2000;

export function registerOpsRoutes(app: FastifyInstance, deps: AppDeps, summaries: SummaryCache): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    config: { access: 'public' },
    schema: {
      tags: ['operations'],
      summary: 'Readiness: the database answers',
      response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Problem },
    },
    handler: async () => {
      try {
        await withTimeout(deps.store.ping(), READY_TIMEOUT_MS);
      } catch (err) {
        throw new AppError('NOT_READY', `the database does not answer: ${(err as Error).message}`);
      }
      return { status: 'ready' as const };
    },
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'] },
    handler: async (_request, reply) => {
      // Open findings by severity come from the cached summary, which is current as of the last write.
      await summaries.current();
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  });

  app.get('/openapi.json', {
    schema: { tags: ['operations'], summary: 'This OpenAPI 3.1 document' },
    handler: async () => app.swagger(),
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
