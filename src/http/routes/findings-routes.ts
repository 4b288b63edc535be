import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FindingStatus } from '../../domain/finding.js';
import { type ConfigState, ecrRegistryOf, splitImageKey } from '../../domain/scan-config.js';
import { type Severity, isSeverity } from '../../domain/severity.js';
import { AppError } from '../../errors.js';
import { renderAtomFeed } from '../../feed/atom-feed.js';
import { decodeCursor, decodeOffsetCursor } from '../../store/findings-cursor.js';
import type { FindingsPage } from '../../store/store.js';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../app.js';
import { findingJson } from '../representations.js';
import { AtomFeed, ConfigIdParams, FindingsCsv, FindingsQuery, FindingsRepresentation, SarifLogSchema } from '../schemas.js';
import { CSV_TYPE, SARIF_TYPE, findingsExport } from './findings-exports.js';
import { Type } from 'typebox';

const DEFAULT_LIMIT = 100;
const ATOM = 'application/atom+xml';
const JSON_TYPE = 'application/json';
/**
 * Room for some 75 first pages of 100 entries (about 110 KB each): the pages polled over
 * and over. More buys nothing when clients walk many feeds in turn, and costs memory.
 */
const FEED_CACHE_BYTES = 8 * 1024 * 1024;

interface PageRequest {
  limit: number;
  after: string | null;
  severities: Severity[] | null;
  status: FindingStatus | 'ALL';
  kev: boolean;
  fixable: boolean;
  minEpss: number | null;
  sort: 'newest' | 'risk';
  format: 'atom' | 'json' | 'sarif' | 'csv';
}

function parsePageRequest(request: FastifyRequest<{ Querystring: FindingsQuery }>): PageRequest {
  const query = request.query;
  const limit = query.limit ?? DEFAULT_LIMIT;
  const sort = query.sort ?? 'newest';
  const decode = sort === 'risk' ? decodeOffsetCursor : decodeCursor;
  if (query.after !== undefined && decode(query.after) === null) {
    throw new AppError('VALIDATION_FAILED', 'after must be the cursor of a previous page', [{ field: 'after', message: 'after is not a cursor this server handed out' }]);
  }
  const severities = query.severity ? [...new Set(query.severity.toUpperCase().split(',').filter(isSeverity))] : null;
  const status = query.status === 'fixed' ? 'FIXED' : query.status === 'suppressed' ? 'SUPPRESSED' : query.status === 'all' ? 'ALL' : 'ACTIVE';
  return {
    limit,
    after: query.after ?? null,
    severities,
    status,
    kev: query.kev === true,
    fixable: query.fixable === true,
    minEpss: query.minEpss ?? null,
    sort,
    format: query.format ?? negotiate(request),
  };
}

function negotiate(request: FastifyRequest): 'atom' | 'json' {
  const type = request.accepts().type([ATOM, JSON_TYPE, 'application/xml', 'text/xml']);
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'findings are available as application/atom+xml or application/json');
  return type === JSON_TYPE ? 'json' : 'atom';
}

/** Absolute URL of this route with the given query, on the service's public base. */
function pageUrl(base: string, configId: string, page: PageRequest, after: string | null): string {
  const params = new URLSearchParams();
  if (page.limit !== DEFAULT_LIMIT) params.set('limit', String(page.limit));
  if (page.severities) params.set('severity', page.severities.join(','));
  if (page.status !== 'ACTIVE') params.set('status', page.status.toLowerCase());
  if (page.kev) params.set('kev', 'true');
  if (page.fixable) params.set('fixable', 'true');
  if (page.minEpss !== null) params.set('minEpss', String(page.minEpss));
  if (page.sort !== 'newest') params.set('sort', page.sort);
  if (after) params.set('after', after);
  const query = params.toString();
  return `${base}/findings/${configId}${query ? `?${query}` : ''}`;
}

/**
 * A page's validator: findings change only when a scan is written, which moves the
 * configuration's revision, so the revision and the request identify the body.
 */
function etagOf(config: ConfigState, base: string, page: PageRequest): string {
  const key = [config.revision, page.format, base, ...queryKey(page)].join('|');
  return `"${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
}

export function registerFindingsRoutes(app: FastifyInstance, deps: AppDeps, publicBase: (request: FastifyRequest) => string): void {
  const feedPages = createPageCache(FEED_CACHE_BYTES);
  app.get<{ Params: ConfigIdParams; Querystring: FindingsQuery }>('/findings/:id', {
    schema: {
      operationId: 'getFindings',
      tags: ['findings'],
      summary: 'Findings of one configuration',
      description:
        'An Atom feed by default, newest first (or by risk with `sort=risk`), paged with RFC 5005 `next` links; `Accept: application/json` gives JSON. `format=sarif` (SARIF 2.1.0, for code scanning) and `format=csv` give every finding the filters select in one document, unpaged. `kev`, `fixable`, `minEpss` and `severity` filter; severities are the effective ones (NVD\'s where the advisory has none).',
      params: ConfigIdParams,
      querystring: FindingsQuery,
      response: {
        200: {
          description: 'one page of findings, or all of them as SARIF or CSV',
          content: { [ATOM]: { schema: AtomFeed }, [JSON_TYPE]: { schema: FindingsRepresentation }, [SARIF_TYPE]: { schema: SarifLogSchema }, [CSV_TYPE]: { schema: FindingsCsv } },
        },
        304: Type.Null({ description: 'not modified since the ETag or date sent' }),
      },
    },
    handler: async (request, reply) => {
      const page = parsePageRequest(request);
      const base = publicBase(request);
      // Read before anything else: a page rendered after it is at least as new as this revision.
      const storeRevision = page.format === 'atom' ? await deps.store.revision() : null;
      const key = pageKey(request, base, page);
      const cached = storeRevision === null ? undefined : feedPages.get(key, storeRevision);
      if (cached) {
        setValidators(reply, cached.etag, cached.updated);
        if (isNotModified(request, cached.etag, cached.updated)) return reply.code(304).send();
        return reply.type(`${ATOM}; charset=utf-8`).send(cached.body);
      }
      const config = await deps.store.getConfig(request.params.id);
      if (!config) {
        throw new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${request.params.id}`, [{ field: 'id', message: 'id is unknown' }]);
      }
      const etag = etagOf(config, base, page);
      const updated = config.lastScan ?? config.created;
      setValidators(reply, etag, updated);
      if (isNotModified(request, etag, updated)) return reply.code(304).send();
      if (page.format === 'sarif' || page.format === 'csv') {
        const exported = await findingsExport(deps.store, config, page, page.format);
        return reply.type(exported.type).send(exported.body);
      }
      const result = await deps.store.listFindings(config.id, page);
      if (page.format === 'json') {
        return reply.type(`${JSON_TYPE}; charset=utf-8`).send({ findings: result.findings.map((finding) => findingJson(finding, config)), next: result.next });
      }
      const body = Buffer.from(renderFeed(base, config, page, result, updated));
      if (storeRevision !== null) feedPages.set(key, { storeRevision, etag, updated, body });
      return reply.type(`${ATOM}; charset=utf-8`).send(body);
    },
  });
}

function setValidators(reply: FastifyReply, etag: string, updated: Date): void {
  reply.header('etag', etag).header('last-modified', updated.toUTCString()).header('vary', 'accept').header('cache-control', 'no-cache');
}

/** Everything a feed page's bytes depend on besides the stored data: the configuration, the query and the public base its links are built on. */
function pageKey(request: FastifyRequest<{ Params: ConfigIdParams }>, base: string, page: PageRequest): string {
  return [request.params.id, base, ...queryKey(page)].join('|');
}

function queryKey(page: PageRequest): unknown[] {
  return [page.limit, page.after, page.severities?.join(','), page.status, page.kev, page.fixable, page.minEpss, page.sort];
}

interface RenderedPage {
  storeRevision: number;
  etag: string;
  updated: Date;
  body: Buffer;
}

/**
 * Rendered Atom pages, each valid while the store revision it was rendered at is current
 * (every write moves it, in any process), least recently used dropped first. Feed readers
 * poll the same first pages over and over: rendering a page of 100 entries from the
 * database takes some 2.5 ms of CPU, answering it from here some 0.2 ms (bench/README.md).
 * Kept as bytes, so that a page is neither re-encoded nor copied per request.
 */
function createPageCache(maxBytes: number) {
  const pages = new Map<string, RenderedPage>();
  let bytes = 0;

  function drop(key: string, page: RenderedPage): void {
    pages.delete(key);
    bytes -= page.body.length;
  }

  return {
    get(key: string, storeRevision: number): RenderedPage | undefined {
      const page = pages.get(key);
      if (!page) return undefined;
      drop(key, page);
      if (page.storeRevision !== storeRevision) return undefined;
      // Re-inserted, so that the Map's order stays least recently used first.
      pages.set(key, page);
      bytes += page.body.length;
      return page;
    },
    set(key: string, page: RenderedPage): void {
      const previous = pages.get(key);
      if (previous) drop(key, previous);
      if (page.body.length > maxBytes) return;
      pages.set(key, page);
      bytes += page.body.length;
      for (const [oldKey, oldPage] of pages) {
        if (bytes <= maxBytes) break;
        drop(oldKey, oldPage);
      }
    },
  };
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

function renderFeed(base: string, config: ConfigState, page: PageRequest, result: FindingsPage, updated: Date): string {
  const ecr = ecrRegistryOf(config);
  const title = ecr ? `ECR repository ${config.repository} in ${ecr.region}` : `Repository ${config.repository} on ${config.registry}`;
  return renderAtomFeed({
    id: `urn:uuid:${config.id}`,
    title,
    updated,
    selfUrl: pageUrl(base, config.id, page, page.after),
    nextUrl: result.next ? pageUrl(base, config.id, page, result.next) : null,
    author: 'ecr-continuous-scan',
    generator: { name: 'ecr-continuous-scan', version: VERSION },
    entries: result.findings.map((finding) => ({ finding, ...splitImageKey(config, finding.tag) })),
  });
}
