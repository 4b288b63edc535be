import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';

/** The built web dashboard (`npm run build` writes it to dist/ui): its page and hashed assets, held in memory. */
export interface Dashboard {
  index: Buffer;
  /** By file name under /assets/; names carry a content hash, so they never change meaning. */
  assets: ReadonlyMap<string, { body: Buffer; type: string }>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Everything comes from this origin and nothing runs inline, so the policy needs no
 * `unsafe-inline`; connect-src 'self' keeps a script, should one ever be injected, from
 * sending data elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * dist/ui of the package, for this module at src/http/ (run by tsx) or dist/src/http/
 * (compiled). Read from the layout, not by looking for package.json: the compiled tree
 * has a copy of it in dist/.
 */
export function dashboardDirFor(moduleFile: string): string {
  const tree = dirname(dirname(dirname(moduleFile)));
  return basename(tree) === 'dist' ? join(tree, 'ui') : join(tree, 'dist', 'ui');
}

export function defaultDashboardDir(): string {
  return dashboardDirFor(fileURLToPath(import.meta.url));
}

/** null when the dashboard has not been built: the API serves on without it. */
export function loadDashboard(dir: string): Dashboard | null {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return null;
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name, { body: readFileSync(join(assetDir, name)), type });
    }
  }
  return { index: readFileSync(indexPath), assets };
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

const AssetParams = Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

/**
 * `/` and `/assets/*`: public, since they hold no data (the page asks for a token and
 * every API call carries it), and left out of the OpenAPI document, which describes the API.
 */
export function registerDashboardRoutes(app: FastifyInstance, dashboard: Dashboard): void {
  app.get('/', {
    schema: { hide: true },
    config: { access: 'public' },
    handler: async (_request, reply) =>
      // The page names the current assets, so it is revalidated every time.
      secure(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(dashboard.index),
  });
  app.get<{ Params: { name: string } }>('/assets/:name', {
    schema: { hide: true, params: AssetParams },
    config: { access: 'public' },
    handler: async (request, reply) => {
      const asset = dashboard.assets.get(request.params.name);
      if (!asset) return reply.callNotFound();
      // Hashed names: a changed file gets a new name, so a year's caching is safe.
      return secure(reply).type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
    },
  });
}
