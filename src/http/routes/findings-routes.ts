import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FindingStatus } from '../../domain/finding.js';
import { type ConfigState, ecrRegistryOf } from '../../domain/scan-config.js';
import { type Severity, isSeverity } from '../../domain/severity.js';
import { AppError } from '../../errors.js';
import { renderAtomFeed } from '../../feed/atom-feed.js';
import type { FindingsPage } from '../../store/store.js';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../app.js';
import { findingJson } from '../representations.js';
import { ConfigIdParams, FindingsQuery, FindingsRepresentation, Problem } from '../schemas.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const ATOM = 'application/atom+xml';
const JSON_TYPE = 'application/json';

interface PageRequest {
  limit: number;
  after: string | null;
  severities: Severity[] | null;
  status: FindingStatus | 'ALL';
  format: 'atom' | 'json';
}

function parsePageRequest(request: FastifyRequest<{ Querystring: FindingsQuery }>): PageRequest {
  const query = request.query;
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (limit < 1 || limit > MAX_LIMIT) {
    throw new AppError('VALIDATION_FAILED', `limit must be from 1 to ${MAX_LIMIT}`, [{ field: 'limit', message: `limit must be from 1 to ${MAX_LIMIT}` }]);
  }
  const severities = query.severity ? [...new Set(query.severity.split(',').filter(isSeverity))] : null;
  const status = query.status === 'fixed' ? 'FIXED' : query.status === 'all' ? 'ALL' : 'ACTIVE';
  return { limit, after: query.after ?? null, severities, status, format: query.format ?? negotiate(request) };
}

function negotiate(request: FastifyRequest): 'atom' | 'json' {
  const type = request.accepts().type([ATOM, JSON_TYPE, 'application/xml', 'text/xml']);
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'findings are available as application/atom+xml or application/json');
  return type === JSON_TYPE ? 'json' : 'atom';
}

/** Absolute URL of this route with the given query, built from what the client asked for. */
function pageUrl(request: FastifyRequest, configId: string, page: PageRequest, after: string | null): string {
  const params = new URLSearchParams();
  if (page.limit !== DEFAULT_LIMIT) params.set('limit', String(page.limit));
  if (page.severities) params.set('severity', page.severities.join(','));
  if (page.status !== 'ACTIVE') params.set('status', page.status.toLowerCase());
  if (after) params.set('after', after);
  const query = params.toString();
  return `${request.protocol}://${request.host}/findings/${configId}${query ? `?${query}` : ''}`;
}

/**
 * A page's validator: findings change only when a scan is written, which moves the
 * configuration's revision, so the revision and the request identify the body.
 */
function etagOf(config: ConfigState, request: FastifyRequest, page: PageRequest): string {
  const key = [config.revision, page.format, request.host, page.limit, page.after, page.severities?.join(','), page.status].join('|');
  return `"${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
}

export function registerFindingsRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Params: ConfigIdParams; Querystring: FindingsQuery }>('/findings/:id', {
    schema: {
      tags: ['findings'],
      summary: 'Findings of one configuration',
      description: 'An Atom feed by default, newest first, paged with RFC 5005 `next` links; `Accept: application/json` gives JSON.',
      params: ConfigIdParams,
      querystring: FindingsQuery,
      response: { 200: FindingsRepresentation, 304: { type: 'null' }, 404: Problem, 406: Problem },
    },
    handler: async (request, reply) => {
      const page = parsePageRequest(request);
      const config = await deps.store.getConfig(request.params.id);
      if (!config) {
        throw new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${request.params.id}`, [{ field: 'id', message: 'id is unknown' }]);
      }
      const etag = etagOf(config, request, page);
      const updated = config.lastScan ?? config.created;
      reply
        .header('etag', etag)
        .header('last-modified', updated.toUTCString())
        .header('vary', 'accept')
        .header('cache-control', 'no-cache');
      if (isNotModified(request, etag, updated)) return reply.code(304).send();
      const result = await deps.store.listFindings(config.id, page);
      if (page.format === 'json') {
        return reply.type(`${JSON_TYPE}; charset=utf-8`).send({ findings: result.findings.map(findingJson), next: result.next });
      }
      return reply.type(`${ATOM}; charset=utf-8`).send(renderFeed(request, config, page, result, updated));
    },
  });
}

function isNotModified(request: FastifyRequest, etag: string, updated: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have one-second resolution.
  return !Number.isNaN(since) && Math.floor(updated.getTime() / 1000) * 1000 <= since;
}

function renderFeed(request: FastifyRequest, config: ConfigState, page: PageRequest, result: FindingsPage, updated: Date): string {
  const ecr = ecrRegistryOf(config);
  const title = ecr ? `ECR repository ${config.repository} in ${ecr.region}` : `Repository ${config.repository} on ${config.registry}`;
  return renderAtomFeed({
    id: `urn:uuid:${config.id}`,
    title,
    updated,
    selfUrl: pageUrl(request, config.id, page, page.after),
    nextUrl: result.next ? pageUrl(request, config.id, page, result.next) : null,
    author: 'ecr-continuous-scan',
    generator: { name: 'ecr-continuous-scan', version: VERSION },
    entries: result.findings.map((finding) => ({ finding, repository: config.repository })),
  });
}
