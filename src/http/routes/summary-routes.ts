import type { FastifyInstance } from 'fastify';
import { SEVERITIES } from '../../domain/severity.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import { summaryJson, summaryText } from '../representations.js';
import { Problem, SummaryQuery, SummaryRepresentation } from '../schemas.js';

interface RenderedSummary {
  revision: number;
  json: string;
  text: string;
}

/**
 * The summary spans every image of every configuration, so it is rendered once per
 * store revision (which every write moves, in any process) and served from memory
 * until the next write; a request costs one read of the revision.
 */
function createSummaryCache(deps: AppDeps) {
  let cached: RenderedSummary | null = null;
  let pending: Promise<RenderedSummary> | null = null;

  async function render(revision: number): Promise<RenderedSummary> {
    const configs = await deps.store.summary();
    const body = summaryJson(configs, deps.clock.now());
    for (const severity of SEVERITIES) deps.metrics.findings.set({ severity }, body.totals[severity] ?? 0);
    return { revision, json: JSON.stringify(body), text: summaryText(configs) };
  }

  return async function current(): Promise<RenderedSummary> {
    const revision = await deps.store.revision();
    if (cached?.revision === revision) return cached;
    // Concurrent requests after a write share one rendering instead of each doing it.
    pending ??= render(revision).finally(() => {
      pending = null;
    });
    const rendered = await pending;
    if (!cached || rendered.revision >= cached.revision) cached = rendered;
    return rendered;
  };
}

export function registerSummaryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const current = createSummaryCache(deps);

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
      const summary = await current();
      const etag = `"summary-${summary.revision}-${format}"`;
      reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(summary.text);
      return reply.type('application/json; charset=utf-8').send(summary.json);
    },
  });
}

function negotiate(type: string | string[] | false): 'json' | 'text' {
  if (type === 'text/plain') return 'text';
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'the summary is available as application/json or text/plain');
  return 'json';
}
