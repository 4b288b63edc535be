import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG_STATUSES, type ConfigStatus } from '../../domain/scan-config.js';
import { type Severity, isSeverity } from '../../domain/severity.js';
import { AppError } from '../../errors.js';
import { decodeSummaryCursor } from '../../store/summary-repo.js';
import type { SummaryPageQuery } from '../../store/store.js';
import type { AppDeps } from '../app.js';
import type { SummaryCache } from '../summary-cache.js';
import { filteredSummaryJson, filteredSummaryText } from '../summary-page.js';
import { SummaryQuery, SummaryRepresentation, SummaryText } from '../schemas.js';
import { Type } from 'typebox';

export function registerSummaryRoutes(app: FastifyInstance, deps: AppDeps, summaries: SummaryCache): void {
  app.get<{ Querystring: SummaryQuery }>('/summary', {
    schema: {
      operationId: 'getSummary',
      tags: ['findings'],
      summary: 'Counts of findings by severity for every image of every configuration',
      description:
        "The original demo's text layout for no `Accept` header, `Accept: */*` (what curl sends), `text/plain` or `?format=text`; JSON for `Accept: application/json` or `?format=json`. " +
        '`repository`, `severity` and `status` filter the configurations, `limit` and `after` page them (in registration order), and `images=false` gives per-configuration totals instead of a block per image.',
      querystring: SummaryQuery,
      response: {
        200: { description: 'open findings by severity', content: { 'text/plain': { schema: SummaryText }, 'application/json': { schema: SummaryRepresentation } } },
        304: Type.Null({ description: 'not modified since the ETag sent' }),
      },
    },
    handler: async (request, reply) => {
      // text/plain first: what accepts() picks for a missing Accept or */*, as the demo answered curl.
      const format = request.query.format ?? negotiate(request.accepts().type(['text/plain', 'application/json']));
      const filter = parseFilter(request.query);
      if (filter) return sendFiltered(request, reply, deps, format, filter, await summaries.warnings());
      const summary = await summaries.current();
      const etag = `"summary-${summary.revision}-${format}${summary.warningsKey === '' ? '' : `-${summary.warningsKey}`}"`;
      reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(summary.text);
      return reply.type('application/json; charset=utf-8').send(summary.json);
    },
  });
}

interface SummaryFilter {
  query: SummaryPageQuery;
  images: boolean;
}

/** The filter and page asked for; null for the whole summary (no parameter but `format`), which is rendered once per revision. */
function parseFilter(query: SummaryQuery): SummaryFilter | null {
  const { repository, severity, status, limit, after, images } = query;
  if (repository === undefined && severity === undefined && status === undefined && limit === undefined && after === undefined && images === undefined) return null;
  if (after !== undefined && decodeSummaryCursor(after) === null) {
    throw new AppError('VALIDATION_FAILED', 'after must be the cursor of a previous page', [{ field: 'after', message: 'after is not a cursor this server handed out' }]);
  }
  return {
    query: {
      repository: repository ?? null,
      severities: severity === undefined ? null : [...new Set(severity.toUpperCase().split(',').filter(isSeverity))],
      statuses: status === undefined ? null : [...new Set(status.toUpperCase().split(',').filter(isConfigStatus))],
      limit: limit ?? null,
      after: after ?? null,
    },
    images: images ?? true,
  };
}

function isConfigStatus(value: string): value is ConfigStatus {
  return (CONFIG_STATUSES as readonly string[]).includes(value);
}

/**
 * A filtered or paged summary is read from the database for each request: two indexed
 * queries over the page's configurations and their images (whose counts every scan commit
 * keeps), so there is nothing worth caching.
 */
async function sendFiltered(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AppDeps,
  format: 'json' | 'text',
  filter: SummaryFilter,
  warnings: string[],
): Promise<FastifyReply> {
  const revision = await deps.store.revision();
  const key = JSON.stringify([revision, format, filter, warnings]);
  const etag = `"summary-${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
  reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  const page = await deps.store.summaryPage(filter.query);
  const severities: readonly Severity[] | null = filter.query.severities;
  if (format === 'text') {
    const notes = warnings.map((note) => `WARNING: ${note}\n`).join('');
    return reply.type('text/plain; charset=utf-8').send(notes + filteredSummaryText(page, severities, filter.images));
  }
  const body = filteredSummaryJson(page, severities, filter.images, deps.clock.now());
  return reply.type('application/json; charset=utf-8').send(warnings.length > 0 ? { ...body, warnings } : body);
}

function negotiate(type: string | string[] | false): 'json' | 'text' {
  if (type === 'application/json') return 'json';
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'the summary is available as text/plain or application/json');
  return 'text';
}
