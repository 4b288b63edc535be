import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_TYPES, type EventPage, type EventQuery, type EventType, isEventType, type ScanEvent } from '../../domain/event.js';
import { type ConfigState, ecrRegistryOf } from '../../domain/scan-config.js';
import { isSeverity, SEVERITIES, type Severity } from '../../domain/severity.js';
import { AppError } from '../../errors.js';
import { renderEventFeed } from '../../feed/event-feed.js';
import { nameBasedUuid } from '../../feed/name-based-uuid.js';
import { decodeEventCursor, encodeEventCursor } from '../../store/events-repo.js';
import { VERSION } from '../../version.js';
import type { AppDeps } from '../app.js';
import { AnyIdParams, ConfigEventsQuery, EventsPage, EventsQuery } from '../event-schemas.js';
import { AtomFeed, Problem } from '../schemas.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const ATOM = 'application/atom+xml';
const JSON_TYPE = 'application/json';
/** Namespace of the event feeds' ids: fixed for the life of the product, as feed readers key on them. */
const FEED_ID_NAMESPACE = 'b8a4d0a6-2f0e-4c59-9d3e-6f1c2a7e5b13';

/** `GET /events` (the whole log, JSON) and `GET /findings/{id}/events` (one configuration's, Atom or JSON). */
export function registerEventRoutes(app: FastifyInstance, deps: AppDeps, publicBase: (request: FastifyRequest) => string): void {
  app.get<{ Querystring: EventsQuery }>('/events', {
    schema: {
      operationId: 'listEvents',
      tags: ['events'],
      summary: 'The event log',
      description:
        'Every change the scans made, oldest first by default, paged with the `after` cursor (`next`). Filters combine: `config`, `type`, `severity`.',
      querystring: EventsQuery,
      response: { 200: EventsPage, 400: Problem },
    },
    handler: async (request, reply) => {
      const query = request.query;
      const configIds = query.config === undefined ? null : listOf(query.config);
      if (configIds?.length === 0) throw invalid('config', 'config must list one or more configuration ids');
      const page = await deps.store.listEvents({ ...commonQuery(query), configIds, order: query.order ?? 'asc' });
      return reply.type(`${JSON_TYPE}; charset=utf-8`).send(pageJson(page));
    },
  });

  app.get<{ Params: AnyIdParams; Querystring: ConfigEventsQuery }>('/findings/:id/events', {
    schema: {
      operationId: 'getConfigEvents',
      tags: ['events'],
      summary: 'Event feed of one configuration',
      description: 'An Atom feed of the configuration\'s events, newest first: one entry per change, with the event id as entry id and the time it happened as `updated`. `Accept: application/json` or `format=json` gives JSON.',
      params: AnyIdParams,
      querystring: ConfigEventsQuery,
      response: {
        200: { description: 'one page of events', content: { [ATOM]: { schema: AtomFeed }, [JSON_TYPE]: { schema: EventsPage } } },
        304: { type: 'null' },
        400: Problem,
        404: Problem,
        406: Problem,
      },
    },
    handler: async (request, reply) => {
      const format = request.query.format ?? negotiate(request);
      const query: EventQuery = { ...commonQuery(request.query), configIds: [request.params.id], order: 'desc' };
      const config = await deps.store.getConfig(request.params.id);
      if (!config) {
        throw new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${request.params.id}`, [{ field: 'id', message: 'id is unknown' }]);
      }
      const page = await deps.store.listEvents(query);
      const etag = etagOf(format, page, `${publicBase(request)}${request.url}`);
      reply.header('etag', etag).header('vary', 'accept').header('cache-control', 'no-cache');
      if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
      if (format === 'json') return reply.type(`${JSON_TYPE}; charset=utf-8`).send(pageJson(page));
      return reply.type(`${ATOM}; charset=utf-8`).send(renderFeed(publicBase(request), request, config, page));
    },
  });
}

function commonQuery(query: Pick<EventsQuery, 'limit' | 'after' | 'type' | 'severity' | 'kev' | 'fixable' | 'minEpss'>): Omit<EventQuery, 'configIds' | 'order'> {
  return {
    limit: limitOf(query.limit),
    afterSeq: cursorOf(query.after),
    types: typesOf(query.type),
    severities: severitiesOf(query.severity),
    kev: query.kev === true,
    fixable: query.fixable === true,
    minEpss: query.minEpss ?? null,
  };
}

function listOf(raw: string): string[] {
  return [...new Set(raw.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ field, message }]);
}

function limitOf(raw: number | undefined): number {
  const limit = raw ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) throw invalid('limit', `limit must be from 1 to ${MAX_LIMIT}`);
  return limit;
}

function cursorOf(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const seq = decodeEventCursor(raw);
  if (seq === null) throw invalid('after', 'after must be a cursor from a previous page\'s next');
  return seq;
}

function typesOf(raw: string | undefined): EventType[] | null {
  if (raw === undefined) return null;
  const types = listOf(raw);
  const unknown = types.filter((type) => !isEventType(type));
  if (unknown.length > 0 || types.length === 0) throw invalid('type', `type must be one or more of ${EVENT_TYPES.join(', ')}`);
  return types as EventType[];
}

function severitiesOf(raw: string | undefined): Severity[] | null {
  if (raw === undefined) return null;
  const severities = listOf(raw).map((severity) => severity.toUpperCase());
  if (severities.length === 0 || !severities.every(isSeverity)) throw invalid('severity', `severity must be one or more of ${SEVERITIES.join(', ')}`);
  return severities as Severity[];
}

function negotiate(request: FastifyRequest): 'atom' | 'json' {
  const type = request.accepts().type([ATOM, JSON_TYPE, 'application/xml', 'text/xml']);
  if (type === false) throw new AppError('NOT_ACCEPTABLE', 'events are available as application/atom+xml or application/json');
  return type === JSON_TYPE ? 'json' : 'atom';
}

/** The page's events decide its bytes, with the representation and the URL it was asked by. */
function etagOf(format: string, page: EventPage, url: string): string {
  const hash = createHash('sha1').update(`${format}|${url}|${page.next}`);
  for (const event of page.events) hash.update(`|${event.id}`);
  return `"${hash.digest('base64url').slice(0, 22)}"`;
}

export function eventJson(event: ScanEvent) {
  return {
    id: event.id,
    cursor: encodeEventCursor(event.seq),
    type: event.type,
    time: event.time.toISOString(),
    configId: event.configId,
    runId: event.runId,
    registry: event.registry,
    repository: event.repository,
    region: event.region,
    tag: event.tag,
    digest: event.digest,
    severity: event.severity,
    ...event.detail,
  };
}

function pageJson(page: EventPage) {
  return { events: page.events.map(eventJson), next: page.next };
}

/** Absolute URL of this feed with the given query, on the service's public base. */
function pageUrl(base: string, request: FastifyRequest<{ Params: AnyIdParams; Querystring: ConfigEventsQuery }>, after: string | null): string {
  const params = new URLSearchParams();
  const { limit, type, severity, kev, fixable, minEpss } = request.query;
  if (limit !== undefined) params.set('limit', String(limit));
  if (type !== undefined) params.set('type', type);
  if (severity !== undefined) params.set('severity', severity);
  if (kev !== undefined) params.set('kev', String(kev));
  if (fixable !== undefined) params.set('fixable', String(fixable));
  if (minEpss !== undefined) params.set('minEpss', String(minEpss));
  if (after) params.set('after', after);
  const query = params.toString();
  return `${base}/findings/${encodeURIComponent(request.params.id)}/events${query ? `?${query}` : ''}`;
}

function renderFeed(base: string, request: FastifyRequest<{ Params: AnyIdParams; Querystring: ConfigEventsQuery }>, config: ConfigState, page: EventPage): string {
  const ecr = ecrRegistryOf(config);
  const where = ecr ? `ECR repository ${config.repository} in ${ecr.region}` : `Repository ${config.repository} on ${config.registry}`;
  return renderEventFeed({
    id: `urn:uuid:${nameBasedUuid(FEED_ID_NAMESPACE, config.id)}`,
    title: `Changes to ${where}`,
    updated: page.events[0]?.time ?? config.lastScan ?? config.created,
    selfUrl: pageUrl(base, request, request.query.after ?? null),
    nextUrl: page.next ? pageUrl(base, request, page.next) : null,
    author: 'ecr-continuous-scan',
    generator: { name: 'ecr-continuous-scan', version: VERSION },
    entries: page.events,
  });
}
