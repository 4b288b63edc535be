import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import type { RenderedSummary, SummaryCache } from '../summary-cache.js';
import { Problem, SummaryQuery, SummaryRepresentation } from '../schemas.js';

export function registerSummaryRoutes(app: FastifyInstance, deps: AppDeps, summaries: SummaryCache): void {
  const bytesOf = createEncoder();
  app.get<{ Querystring: SummaryQuery }>('/summary', {
    schema: {
      tags: ['findings'],
      summary: 'Counts of findings by severity for every image of every configuration',
      description: 'JSON by default; `Accept: text/plain` or `?format=text` gives the original demo\'s text layout.',
      querystring: SummaryQuery,
      response: { 200: SummaryRepresentation, 406: Problem },
    },
    handler: async (request, reply) => {
      const format = request.query.format ?? negotiate(request.accepts().type(['application/json', 'text/plain']));
      const summary = await summaries.current();
      const etag = `"summary-${summary.revision}-${format}"`;
      reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(bytesOf(summary, 'text'));
      return reply.type('application/json; charset=utf-8').send(bytesOf(summary, 'json'));
    },
  });
}

/**
 * The summary spans every image and runs to megabytes (2.8 MB for 10,000 images): sent as
 * a string it is encoded into a fresh buffer for every request, which costs CPU and, with
 * many clients reading at once, one copy in memory per client. Encoded once per rendering,
 * every answer shares the same bytes (bench/README.md).
 */
function createEncoder(): (summary: RenderedSummary, format: 'json' | 'text') => Buffer {
  const encoded = new WeakMap<RenderedSummary, Partial<Record<'json' | 'text', Buffer>>>();
  return (summary, format) => {
    const bodies = encoded.get(summary) ?? {};
    encoded.set(summary, bodies);
    bodies[format] ??= Buffer.from(summary[format]);
    return bodies[format];
  };
}

function negotiate(type: string | string[] | false): 'json' | 'text' {
  if (type === 'text/plain') return 'text';
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'the summary is available as application/json or text/plain');
  return 'json';
}
