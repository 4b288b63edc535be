import type { FastifyInstance } from 'fastify';
import { ConfigRuleError, normaliseConfigInput } from '../../domain/scan-config.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../app.js';
import { configJson } from '../representations.js';
import { ConfigIdParams, ConfigRepresentation, Problem, ScanAccepted, ScanConfigBody } from '../schemas.js';
import { Type } from 'typebox';

function notFound(id: string): AppError {
  return new AppError('CONFIG_NOT_FOUND', `no scan configuration with id ${id}`, [{ field: 'id', message: 'id is unknown' }]);
}

export function registerConfigRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store, clock, config } = deps;

  app.get('/configs', {
    schema: { tags: ['configs'], summary: 'List scan configurations', response: { 200: Type.Array(ConfigRepresentation) } },
    handler: async () => (await store.listConfigs()).map((state) => configJson(state, config.schedule)),
  });

  app.post<{ Body: ScanConfigBody }>('/configs', {
    schema: {
      tags: ['configs'],
      summary: 'Register a scan configuration',
      body: ScanConfigBody,
      response: { 201: ConfigRepresentation, 400: Problem, 415: Problem },
    },
    handler: async (request, reply) => {
      let input;
      try {
        input = normaliseConfigInput(request.body);
      } catch (err) {
        if (err instanceof ConfigRuleError) throw new AppError('VALIDATION_FAILED', err.message, [{ field: err.field, message: err.message }]);
        throw err;
      }
      const created = await store.createConfig(input, clock.now());
      deps.scans?.wake();
      return reply.code(201).header('location', `/configs/${created.id}`).send(configJson(created, config.schedule));
    },
  });

  app.get<{ Params: ConfigIdParams }>('/configs/:id', {
    schema: { tags: ['configs'], summary: 'One scan configuration with its scan state', params: ConfigIdParams, response: { 200: ConfigRepresentation, 404: Problem } },
    handler: async (request) => {
      const state = await store.getConfig(request.params.id);
      if (!state) throw notFound(request.params.id);
      return configJson(state, config.schedule);
    },
  });

  app.delete<{ Params: ConfigIdParams }>('/configs/:id', {
    schema: { tags: ['configs'], summary: 'Remove a scan configuration and its findings', params: ConfigIdParams, response: { 204: Type.Null(), 404: Problem } },
    handler: async (request, reply) => {
      if (!(await store.deleteConfig(request.params.id))) throw notFound(request.params.id);
      deps.scans?.cancel(request.params.id);
      return reply.code(204).send();
    },
  });

  app.post<{ Params: ConfigIdParams }>('/configs/:id/scan', {
    schema: { tags: ['configs'], summary: 'Rescan now', params: ConfigIdParams, response: { 202: ScanAccepted, 404: Problem } },
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
