import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import type { SourceFreshness } from '../../scanners/builtin/osv/advisory-status.js';
import type { AppDeps } from '../app.js';
import type { SummaryCache } from '../summary-cache.js';
import { withServer } from '../openapi.js';
import { NoQuery } from '../schemas.js';

const READY_TIMEOUT_MS = 2000;

export function registerOpsRoutes(app: FastifyInstance, deps: AppDeps, summaries: SummaryCache): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: {
      operationId: 'getHealth',
      tags: ['operations'],
      summary: 'Liveness: the process answers',
      description: 'Always 200 while the process runs; needs no token.',
      security: [],
      querystring: NoQuery,
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false, title: 'Health' }) },
    },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    config: { access: 'public' },
    schema: {
      operationId: 'getReadiness',
      tags: ['operations'],
      summary: 'Readiness: the database answers (and, with ECRSCAN_READYZ_ADVISORIES, advisory data is fresh)',
      description: '200 when the database answers within 2 seconds, else 503; with ECRSCAN_READYZ_ADVISORIES, also 503 while a configured advisory source is stale. Needs no token.',
      security: [],
      querystring: NoQuery,
      response: { 200: Type.Object({ status: Type.Literal('ready') }, { additionalProperties: false, title: 'Readiness' }) },
    },
    handler: async () => {
      try {
        await withTimeout(deps.store.ping(), READY_TIMEOUT_MS);
      } catch (err) {
        throw new AppError('NOT_READY', `the database does not answer: ${(err as Error).message}`);
      }
      if (deps.config.readyRequiresFreshAdvisories && deps.advisories) {
        const stale = (await deps.advisories.freshness()).filter((source) => source.stale);
        if (stale.length > 0) throw new AppError('NOT_READY', `advisory data is stale: ${stale.map(describeStale).join('; ')}`);
      }
      return { status: 'ready' as const };
    },
  });

  app.get('/metrics', {
    schema: {
      operationId: 'getMetrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description: 'HTTP requests, scans and open findings by severity, in the Prometheus text format.',
      querystring: NoQuery,
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
    },
    handler: async (_request, reply) => {
      // Open findings by severity come from the cached summary, which is current as of the last write.
      await summaries.current();
      if (deps.advisories) {
        deps.metrics.advisoryAge.reset();
        for (const source of await deps.advisories.freshness()) {
          if (source.ageSeconds !== null) deps.metrics.advisoryAge.set({ source: source.source }, source.ageSeconds);
        }
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  });

  app.get('/openapi.json', {
    schema: {
      operationId: 'getOpenApi',
      tags: ['operations'],
      summary: 'This OpenAPI 3.1 document',
      description: 'Generated from the schemas that validate requests; `servers` names the address the request reached.',
      querystring: NoQuery,
      response: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } } },
    },
    handler: async (request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(withServer(app.swagger(), request))),
  });
}

function describeStale(source: SourceFreshness): string {
  return source.lastImport === null ? `${source.source} was never imported` : `${source.source} was last imported ${source.lastImport.toISOString()}`;
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
