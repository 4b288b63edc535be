import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { type ConfigState, ConfigRuleError, nextRunAfter, normaliseConfigInput, type ScanConfigInput } from '../../domain/scan-config.js';
import { AppError } from '../../errors.js';
import { staleAdvisoryNotes } from '../advisory-warnings.js';
import type { AppDeps } from '../app.js';
import { configJson } from '../representations.js';
import { ConfigIdParams, ConfigRepresentation, NoQuery, ScanAccepted, ScanConfigBody, ScanConfigPatch } from '../schemas.js';

function notFound(id: string): AppError {
  return new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${id}`, [{ field: 'id', message: 'id is unknown' }]);
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ field, message }]);
}

/** The rules that span fields (SPEC §1), as a problem naming the field. */
function normalised(input: ScanConfigInput) {
  try {
    return normaliseConfigInput(input);
  } catch (err) {
    if (err instanceof ConfigRuleError) throw invalid(err.field, err.message);
    throw err;
  }
}

const FIXED_FIELDS = ['registry', 'region', 'repository'] as const;

/** The stored configuration with the patch applied; registry, region and repository may only be repeated. */
function patched(state: ConfigState, patch: ScanConfigPatch): ScanConfigInput {
  for (const field of FIXED_FIELDS) {
    const value = patch[field];
    if (value !== undefined && value !== state[field]) {
      throw invalid(field, `${field} cannot be changed (it names the images scanned); register a new configuration instead`);
    }
  }
  return {
    region: state.region,
    registry: state.registry,
    repository: state.repository,
    tags: patch.tags === undefined ? state.tags : patch.tags,
    schedule: patch.schedule === undefined ? state.schedule : patch.schedule,
    // An explicit null returns the scanner to its default for the registry.
    scanner: patch.scanner === undefined ? state.scanner : patch.scanner,
    platform: patch.platform === undefined ? state.platform : patch.platform,
    newest: patch.newest === undefined ? (state.newest ?? null) : patch.newest,
    pushedWithin: patch.pushedWithin === undefined ? (state.pushedWithin ?? null) : patch.pushedWithin,
    exclude: patch.exclude === undefined ? (state.exclude ?? null) : patch.exclude,
  };
}

export function registerConfigRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store, clock, config } = deps;
  // Read per request: a configuration is read far less often than the summary, and its
  // images should stop warning as soon as an import has made the data current.
  const advisoryWarnings = (): Promise<string[]> => (deps.advisories ? staleAdvisoryNotes(deps.advisories) : Promise.resolve([]));

  app.get('/configs', {
    schema: {
      operationId: 'listConfigs',
      tags: ['configs'],
      summary: 'List scan configurations',
      description: 'Every configuration with its scan state, oldest first; an empty array when there is none.',
      querystring: NoQuery,
      response: { 200: Type.Array(ConfigRepresentation) },
    },
    handler: async () => {
      const [states, warnings] = await Promise.all([store.listConfigs(), advisoryWarnings()]);
      return states.map((state) => configJson(state, config.schedule, warnings));
    },
  });

  app.post<{ Body: ScanConfigBody }>('/configs', {
    schema: {
      operationId: 'createConfig',
      tags: ['configs'],
      summary: 'Register a scan configuration',
      description: 'Its first scan is queued at once.',
      body: ScanConfigBody,
      response: { 201: ConfigRepresentation },
    },
    handler: async (request, reply) => {
      const created = await store.createConfig(normalised(request.body), clock.now(), request.principal?.name ?? null);
      request.log.info({ configId: created.id, repository: created.repository }, 'configuration registered');
      deps.scans?.wake();
      return reply.code(201).header('location', `/configs/${created.id}`).send(configJson(created, config.schedule));
    },
  });

  app.get<{ Params: ConfigIdParams }>('/configs/:id', {
    schema: {
      operationId: 'getConfig',
      tags: ['configs'],
      summary: 'One scan configuration with its scan state',
      description: 'The configuration with its status, last and next scan, last error and the status of each image. An unknown id of any shape is 404.',
      params: ConfigIdParams,
      querystring: NoQuery,
      response: { 200: ConfigRepresentation },
    },
    handler: async (request) => {
      const state = await store.getConfig(request.params.id);
      if (!state) throw notFound(request.params.id);
      return configJson(state, config.schedule, await advisoryWarnings());
    },
  });

  app.patch<{ Params: ConfigIdParams; Body: ScanConfigPatch }>('/configs/:id', {
    schema: {
      operationId: 'updateConfig',
      tags: ['configs'],
      summary: 'Change the tag selection, schedule, scanner or platform',
      description:
        'Keeps the id, the images and their findings with their first-seen times. A change of tags, newest, pushedWithin, exclude, scanner or platform queues a scan at once; a new schedule moves the next scan.',
      params: ConfigIdParams,
      body: ScanConfigPatch,
      response: { 200: ConfigRepresentation },
    },
    handler: async (request) => {
      const state = await store.getConfig(request.params.id);
      if (!state) throw notFound(request.params.id);
      const next = normalised(patched(state, request.body));
      const now = clock.now();
      const selection = (c: typeof next) => JSON.stringify([c.tags, c.scanner, c.platform, c.newest ?? null, c.pushedWithin ?? null, c.exclude ?? null]);
      const imagesChange = selection(next) !== selection(state);
      const scheduleChanges = next.schedule !== state.schedule;
      // Different images or another scanner: scan now. Another schedule: due by it, from the last scan.
      const nextScanAt = imagesChange
        ? now
        : scheduleChanges && state.lastScan
          ? nextRunAfter(next.schedule ?? config.schedule, state.lastScan)
          : (state.nextScan ?? now);
      const updated = await store.updateConfig(state.id, next, nextScanAt);
      if (!updated) throw notFound(request.params.id);
      if (imagesChange) deps.scans?.wake();
      return configJson(updated, config.schedule, await advisoryWarnings());
    },
  });

  app.delete<{ Params: ConfigIdParams }>('/configs/:id', {
    schema: {
      operationId: 'deleteConfig',
      tags: ['configs'],
      summary: 'Remove a scan configuration and its findings',
      description: 'Removes the configuration with its images, findings and runs, and stops a scan of it in flight.',
      params: ConfigIdParams,
      response: { 204: Type.Null({ description: 'removed' }) },
    },
    handler: async (request, reply) => {
      if (!(await store.deleteConfig(request.params.id))) throw notFound(request.params.id);
      deps.scans?.cancel(request.params.id);
      return reply.code(204).send();
    },
  });

  app.post<{ Params: ConfigIdParams }>('/configs/:id/scan', {
    schema: {
      operationId: 'scanConfig',
      tags: ['configs'],
      summary: 'Rescan now',
      description: 'Queues a scan of the configuration at once (or answers the one already queued); follow it on GET /configs/{id}.',
      params: ConfigIdParams,
      response: { 202: ScanAccepted },
    },
    handler: async (request, reply) => {
      const run = await store.requestScan(request.params.id, clock.now());
      if (!run) throw notFound(request.params.id);
      deps.scans?.wake();
      return reply
        .code(202)
        .header('location', `/configs/${run.configId}`)
        .send({ runId: run.id, configId: run.configId, status: run.outcome, requestedAt: run.requestedAt.toISOString() });
    },
  });
}
