import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const READ_METHODS = ['GET', 'HEAD'];
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];
const ALLOWED_HEADERS = 'authorization, content-type, if-none-match, if-modified-since';
const EXPOSED_HEADERS = 'etag, last-modified, location';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * Cross-origin access for the listed origins only. Off by default: a loopback service
 * without a token would otherwise be readable by every web page its user visits. `*`
 * (what the demo's API Gateway sent) opens the read-only methods to every origin;
 * writes need an origin named in the list.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const named = new Set(origins.filter((origin) => origin !== '*'));
  const anyOrigin = origins.includes('*');
  const methodsFor = (origin: string): string[] => (named.has(origin) ? ALL_METHODS : anyOrigin ? READ_METHODS : []);

  // Registered before authentication: browsers send preflights without credentials.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const methods = methodsFor(origin);
    reply.header('vary', 'origin');
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (methods.length === 0) {
      // Not an allowed origin: no CORS headers, so the browser keeps the answer from the page.
      if (preflight) return reply.code(204).send();
      return;
    }
    const allowOrigin = named.has(origin) ? origin : '*';
    reply.header('access-control-allow-origin', allowOrigin);
    if (preflight) {
      return reply
        .code(204)
        .header('access-control-allow-methods', methods.join(', '))
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS)
        .send();
    }
    if (!methods.includes(request.method)) reply.removeHeader('access-control-allow-origin');
    else reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  });
}
