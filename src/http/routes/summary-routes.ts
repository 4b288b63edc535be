import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import type { SummaryCache } from '../summary-cache.js';
import { SummaryQuery, SummaryRepresentation, SummaryText } from '../schemas.js';
import { Type } from 'typebox';

export function registerSummaryRoutes(app: FastifyInstance, deps: AppDeps, summaries: SummaryCache): void {
  app.get<{ Querystring: SummaryQuery }>('/summary', {
    schema: {
      operationId: 'getSummary',
      tags: ['findings'],
      summary: 'Counts of findings by severity for every image of every configuration',
      description:
        "The original demo's text layout for no `Accept` header, `Accept: */*` (what curl sends), `text/plain` or `?format=text`; JSON for `Accept: application/json` or `?format=json`.",
      querystring: SummaryQuery,
      response: {
        200: { description: 'open findings by severity', content: { 'text/plain': { schema: SummaryText }, 'application/json': { schema: SummaryRepresentation } } },
        304: Type.Null({ description: 'not modified since the ETag sent' }),
      },
    },
    handler: async (request, reply) => {
      // text/plain first: what accepts() picks for a missing Accept or */*, as the demo answered curl.
      const format = request.query.format ?? negotiate(request.accepts().type(['text/plain', 'application/json']));
      const summary = await summaries.current();
      const etag = `"summary-${summary.revision}-${format}${summary.warningsKey === '' ? '' : `-${summary.warningsKey}`}"`;
      reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(summary.text);
      return reply.type('application/json; charset=utf-8').send(summary.json);
    },
  });
}

function negotiate(type: string | string[] | false): 'json' | 'text' {
  if (type === 'application/json') return 'json';
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'the summary is available as text/plain or application/json');
  return 'text';
}
