import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { sendProblem } from './problem.js';
import { type ApiToken, findToken, type Principal, type Role, roleAllows } from './tokens.js';

/**
 * Who may call a route. `public`: anyone, no token (health checks). Otherwise the least
 * role a token needs. Routes that say nothing get the rule of their method (see
 * `roleForMethod`), so new routes are guarded without listing them anywhere.
 */
export type Access = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the method's rule: `{ config: { access: 'admin' } }` for admin-only routes. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The token's name and role; null when the server has no tokens or the route is public. */
    principal: Principal | null;
  }
}

export const CHALLENGE = 'Bearer realm="ecrscan", Basic realm="ecrscan", charset="UTF-8"';

/** The default rule: reading needs `read`, anything that changes state needs `write`. */
export function roleForMethod(method: string): Role {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/** The route's own rule, else its method's. */
export function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config.access ?? roleForMethod(request.method);
}

/** The token a request presents: a bearer token, or the password of HTTP Basic (user name ignored). */
export function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic?.[1]) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/** Every request gets a principal; without tokens there is nothing to check. */
export function installAuth(app: FastifyInstance, tokens: readonly ApiToken[]): void {
  app.decorateRequest('principal', null);
  if (tokens.length === 0) return;
  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const presented = presentedToken(request.headers.authorization);
    const token = presented === null ? null : findToken(tokens, presented);
    if (token === null) {
      reply.header('www-authenticate', CHALLENGE);
      const detail = presented === null ? 'send a token as Authorization: Bearer <token> or as the password of HTTP Basic authentication' : 'the token is not valid';
      return sendProblem(reply, request, new AppError('UNAUTHORIZED', detail));
    }
    request.principal = { name: token.name, role: token.role };
    // The name, never the token, goes into every log line of this request.
    request.log = request.log.child({ token: token.name });
    if (!roleAllows(token.role, access)) {
      return sendProblem(reply, request, new AppError('FORBIDDEN', `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} needs the ${access} role; token "${token.name}" has ${token.role}`));
    }
  });
}
