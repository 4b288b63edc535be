import accepts from '@fastify/accepts';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type HTTPMethods, LogController } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { registerSubscriptionRoutes } from '../notify/subscriptions-routes.js';
import type { InventoryReader } from '../scanners/builtin/inventory-cache.js';
import type { AdvisoryControl } from '../scanners/builtin/osv/advisory-control.js';
import type { Store } from '../store/store.js';
import { installAuth } from './auth.js';
import { installCors } from './cors.js';
import { type Dashboard, registerDashboardRoutes } from './dashboard.js';
import { answerBelowFastify, FRAMEWORK_OPTIONS, parseJsonOrNothing, refuseBadHost } from './framework-errors.js';
import { openApiOptions } from './openapi.js';
import { installErrorHandling, sendProblem } from './problem.js';
import { createPublicBase } from './public-url.js';
import { registerAdvisoryRoutes } from './routes/advisories-routes.js';
import { registerConfigRoutes } from './routes/configs-routes.js';
import { registerEventRoutes } from './routes/events-routes.js';
import { registerFindingsRoutes } from './routes/findings-routes.js';
import { registerHistoryRoutes } from './routes/history-routes.js';
import { registerOpsRoutes } from './routes/ops-routes.js';
import { registerSbomRoutes } from './routes/sbom-routes.js';
import { registerSummaryRoutes } from './routes/summary-routes.js';
import { registerSuppressionRoutes } from './routes/suppressions-routes.js';
import { registerVexRoutes } from './routes/vex-routes.js';
import { createSummaryCache } from './summary-cache.js';
import { installValidation } from './validation.js';
import { type ApiToken, loadTokens } from './tokens.js';

/** What the HTTP layer needs from the scheduler: nudge it, and stop a deleted configuration's scan. */
export interface ScanControl {
  wake(): void;
  cancel(configId: string): void;
}

export interface AppDeps {
  store: Store;
  config: Pick<Config, 'schedule' | 'apiToken'> & Partial<Pick<Config, 'corsOrigins' | 'publicUrl' | 'trustedProxies' | 'readyRequiresFreshAdvisories'>>;
  /** Every accepted token; by default `config.apiToken` alone, as an admin. */
  tokens?: readonly ApiToken[];
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  scans?: ScanControl;
  /** Webhook URL rules, links in messages, and a cue for this process's delivery worker. */
  notifications?: { allowPrivate: boolean; publicUrl: string; wake(): void };
  /** The built-in scanner's advisory data: GET /advisories, POST /advisories/import, freshness. */
  advisories?: AdvisoryControl;
  /** The built web dashboard, served at `/`; without it `/` is a 404 like any unknown path. */
  dashboard?: Dashboard | null;
  /** The built-in scanner's kept package inventories: SBOMs at /images/{digest}/sbom; without it those routes are absent. */
  inventories?: InventoryReader;
}

const BODY_LIMIT = 64 * 1024;
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Builds the HTTP API without listening: the server calls `listen`, tests call `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // Requests are counted in metrics; logging each one would dominate the log at feed-polling rates.
    logController: new LogController({ disableRequestLogging: true }),
    ...FRAMEWORK_OPTIONS,
  });
  // JSON only: other bodies must get 415, not reach validation as a string.
  app.removeContentTypeParser(['text/plain']);
  parseJsonOrNothing(app);
  installErrorHandling(app);
  installValidation(app);
  refuseBadHost(app);
  answerBelowFastify(app);
  installCors(app, deps.config.corsOrigins ?? []);
  const tokens = deps.tokens ?? (await loadTokens({ apiToken: deps.config.apiToken, tokensFile: null }));
  installAuth(app, tokens);
  installRequestMetrics(app, deps.metrics);
  await app.register(accepts);
  await app.register(swagger, openApiOptions(tokens.length > 0));
  const routes = collectRoutes(app);
  registerConfigRoutes(app, deps);
  const summaries = createSummaryCache(deps);
  registerSummaryRoutes(app, deps, summaries);
  const publicBase = createPublicBase({ publicUrl: deps.config.publicUrl ?? null, trustedProxies: deps.config.trustedProxies ?? [] });
  registerFindingsRoutes(app, deps, publicBase);
  registerEventRoutes(app, deps, publicBase);
  registerHistoryRoutes(app, deps);
  if (deps.advisories) registerAdvisoryRoutes(app, deps.advisories);
  registerOpsRoutes(app, deps, summaries);
  registerSubscriptionRoutes(app, deps);
  registerSuppressionRoutes(app, deps);
  registerVexRoutes(app, deps);
  if (deps.inventories) registerSbomRoutes(app, deps, deps.inventories);
  if (deps.dashboard) registerDashboardRoutes(app, deps.dashboard);
  answerOtherMethods(app, routes);
  return app;
}

function collectRoutes(app: FastifyInstance): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = routes.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    routes.set(route.url, methods);
  });
  return routes;
}

/** A known path with an unknown method gets 405 and `Allow`, not a misleading 404. */
function answerOtherMethods(app: FastifyInstance, routes: Map<string, Set<string>>): void {
  for (const [url, methods] of [...routes]) {
    const others = METHODS.filter((method) => !methods.has(method));
    if (others.length === 0) continue;
    const allow = [...methods].sort().join(', ');
    app.route({
      method: others,
      url,
      schema: { hide: true },
      // Any token may learn that a method is not allowed here.
      config: { access: 'read' },
      handler: async (request, reply) => {
        reply.header('allow', allow);
        return sendProblem(reply, request, new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow}`));
      },
    });
  }
}

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
