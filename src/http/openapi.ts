import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import { roleForMethod } from './auth.js';
import { Problem } from './schemas.js';

type Json = Record<string, unknown>;

const PROBLEM_TYPE = 'application/problem+json';

const TAGS = [
  { name: 'configs', description: 'Scan configurations: which repositories and tags are scanned, and how often.' },
  { name: 'findings', description: 'What the scans found: the summary across every image and the findings of one configuration.' },
  { name: 'events', description: 'The event log: what every scan changed, as JSON pages and per-configuration Atom feeds.' },
  { name: 'images', description: 'SBOMs (CycloneDX, SPDX) of the images the built-in scanner analysed, from the package inventory it keeps.' },
  { name: 'suppressions', description: 'Ignore a vulnerability with a reason, a VEX status and an expiry; OpenVEX in and out.' },
  { name: 'subscriptions', description: 'Webhooks: which events go where, signed, with their delivery history.' },
  { name: 'advisories', description: 'The built-in scanner\'s advisory data: how current each source is, and an import now.' },
  { name: 'operations', description: 'Health, readiness, metrics and this document.' },
];

/** The answers a route can give besides its own, by when they happen. */
const STATUS_DESCRIPTIONS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'CONFIG_NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  500: 'INTERNAL',
  503: 'NOT_READY',
};

interface RouteFacts {
  method: string;
  url: string;
  public: boolean;
  role: string;
}

/**
 * The @fastify/swagger options: the document is generated from the route schemas, then
 * completed here with what every route shares (problem answers, security, tags) and
 * with each titled schema moved into `components.schemas`, so that generated clients
 * get named types.
 */
export function openApiOptions(authenticated: boolean): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ecr-continuous-scan',
        version: VERSION,
        description: 'Continuous vulnerability scanning of container images: scan configurations, a summary, per-configuration Atom feeds.',
        license: { name: 'MIT-0', identifier: 'MIT-0' },
        contact: { name: 'ecr-continuous-scan maintainers' },
      },
      tags: TAGS,
      components: authenticated
        ? {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'a token, as Authorization: Bearer TOKEN' },
              basic: { type: 'http', scheme: 'basic', description: 'a token as the password of HTTP Basic authentication (any user name), for feed readers' },
            },
          }
        : {},
      // Without tokens every request is allowed: the empty requirement says so.
      security: authenticated ? [{ bearer: [] }, { basic: [] }] : [{}],
    },
    transform: ({ schema, url, route }) => {
      const method = [route.method].flat()[0] ?? 'GET';
      const access = route.config?.access;
      const facts: RouteFacts = { method, url, public: access === 'public', role: access ?? roleForMethod(method) };
      return { schema: completeRoute((schema ?? {}) as Json, facts, authenticated) as typeof schema, url };
    },
    transformObject: (documentObject) => ('openapiObject' in documentObject ? nameComponents(documentObject.openapiObject as Json) : documentObject.swaggerObject),
  };
}

function problemResponse(status: number): Json {
  const code = STATUS_DESCRIPTIONS[status] ?? 'INTERNAL';
  return { description: ERROR_CODES[code].title, content: { [PROBLEM_TYPE]: { schema: Problem } } };
}

/** Adds the problem answers a route can give, and its security, to a copy of its schema. */
function completeRoute(schema: Json, facts: RouteFacts, authenticated: boolean): Json {
  const response = { ...((schema['response'] as Json | undefined) ?? {}) };
  const statuses = new Set<number>([500]);
  const hasBody = schema['body'] !== undefined;
  const hasQuery = schema['querystring'] !== undefined;
  if (hasBody || hasQuery) statuses.add(400);
  if (hasBody) [413, 415].forEach((status) => statuses.add(status));
  if (facts.url.includes(':id')) statuses.add(404);
  const ok = Object.values(response).find((answer): answer is Json => typeof answer === 'object' && answer !== null && 'content' in answer);
  if (ok && Object.keys(ok['content'] as Json).length > 1) statuses.add(406);
  if (authenticated && !facts.public) {
    statuses.add(401);
    if (facts.role !== 'read') statuses.add(403);
  }
  if (facts.url === '/readyz') statuses.add(503);
  for (const status of statuses) response[status] ??= problemResponse(status);
  // Errors are always problem documents, whatever a route declared for them.
  for (const status of Object.keys(response)) if (Number(status) >= 400) response[status] = problemResponse(Number(status));
  const completed: Json = { ...schema, response };
  if (facts.public) completed['security'] = [];
  return completed;
}

/** Replaces every schema with a `title` by a `$ref` to `components.schemas[title]`. */
function nameComponents(document: Json): Json {
  const components = { ...((document['components'] as Json | undefined) ?? {}) };
  const named: Json = { ...((components['schemas'] as Json | undefined) ?? {}) };
  const walk = (node: unknown, inSchema: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, inSchema));
    if (typeof node !== 'object' || node === null) return node;
    const object = node as Json;
    const title = object['title'];
    if (inSchema && typeof title === 'string') {
      if (!(title in named)) {
        named[title] = {};
        named[title] = walkChildren(object, true);
      }
      return { $ref: `#/components/schemas/${title}` };
    }
    return walkChildren(object, inSchema);
  };
  const walkChildren = (object: Json, inSchema: boolean): Json =>
    Object.fromEntries(Object.entries(object).map(([key, value]) => [key, walk(value, inSchema || key === 'schema')]));
  const paths = walk(document['paths'], false);
  const result: Json = { ...document, paths };
  if (Object.keys(named).length > 0) components['schemas'] = sortKeys(named);
  result['components'] = components;
  return result;
}

function sortKeys(object: Json): Json {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}

/** The document with `servers` naming where the client reached this service. */
export function withServer(document: unknown, request: FastifyRequest): Json {
  return { ...(document as Json), servers: [{ url: `${request.protocol}://${request.host}`, description: 'this service, as the request reached it' }] };
}
