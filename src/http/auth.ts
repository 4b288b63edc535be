import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { sendProblem } from './problem.js';

const OPEN_PATHS = new Set(['/healthz', '/readyz']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Bearer-token check on every route but health checks; hashing first makes the comparison constant-time for any length. */
export function installAuth(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    const path = (request.url.split('?')[0] ?? '').replace(/\/+$/, '');
    if (OPEN_PATHS.has(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="ecrscan"');
    return sendProblem(reply, request, new AppError('UNAUTHORIZED', 'send Authorization: Bearer <token> with the API token'));
  });
}
