import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { checkSuppression, isActive, type Suppression, type SuppressionInput, SuppressionRuleError } from '../../triage/suppression.js';
import type { AppDeps } from '../app.js';
import { NoQuery, Problem } from '../schemas.js';
import {
  SuppressionBody,
  SuppressionIdParams,
  SuppressionPatch,
  SuppressionFields,
  SuppressionRepresentation,
} from '../suppression-schemas.js';

const TAGS = ['suppressions'];

function notFound(id: string): AppError {
  return new AppError('SUPPRESSION_NOT_FOUND', `no suppression with id ${id}`, [{ field: 'id', message: 'id is unknown' }]);
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ field, message }]);
}

export function suppressionJson(suppression: Suppression, now: Date) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: suppression.id,
    vulnerability: suppression.vulnerability,
    package: suppression.package,
    configId: suppression.configId,
    repository: suppression.repository,
    tag: suppression.tag,
    status: suppression.status,
    justification: suppression.justification,
    reason: suppression.reason,
    createdBy: suppression.createdBy,
    createdAt: suppression.createdAt.toISOString(),
    updatedAt: suppression.updatedAt.toISOString(),
    expiresAt: iso(suppression.expiresAt),
    expiredAt: iso(suppression.expiredAt),
    state: isActive(suppression, now) ? ('active' as const) : ('expired' as const),
  };
}

/** A body's fields as a suppression, checked across fields; a named configuration must exist. */
async function inputOf(deps: AppDeps, body: SuppressionFields, now: Date): Promise<SuppressionInput> {
  const input: SuppressionInput = {
    vulnerability: body.vulnerability,
    package: body.package ?? null,
    configId: body.configId ?? null,
    repository: body.repository ?? null,
    tag: body.tag ?? null,
    status: body.status,
    justification: body.justification ?? null,
    reason: body.reason,
    expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
  };
  try {
    checkSuppression(input, now);
  } catch (err) {
    if (err instanceof SuppressionRuleError) throw invalid(err.field, err.message);
    throw err;
  }
  if (input.configId !== null && !(await deps.store.getConfig(input.configId))) throw invalid('configId', `no scan configuration with id ${input.configId}`);
  return input;
}

function patched(before: Suppression, patch: SuppressionPatch): SuppressionFields {
  const pick = <K extends keyof SuppressionPatch>(key: K, value: SuppressionFields[K]) => (patch[key] === undefined ? value : patch[key]);
  const status = patch.status ?? before.status;
  return {
    vulnerability: patch.vulnerability ?? before.vulnerability,
    package: pick('package', before.package),
    configId: pick('configId', before.configId),
    repository: pick('repository', before.repository),
    tag: pick('tag', before.tag),
    status,
    // A status other than not_affected drops the justification unless one is given.
    justification: patch.justification !== undefined ? patch.justification : status === 'not_affected' ? before.justification : null,
    reason: patch.reason ?? before.reason,
    expiresAt: pick('expiresAt', before.expiresAt?.toISOString() ?? null),
  };
}

function principalName(request: FastifyRequest): string | null {
  return request.principal?.name ?? null;
}

export function registerSuppressionRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store, clock } = deps;

  app.get('/suppressions', {
    schema: {
      operationId: 'listSuppressions',
      tags: TAGS,
      summary: 'List suppressions',
      description: 'Every suppression, active and expired, oldest first.',
      querystring: NoQuery,
      response: { 200: Type.Array(SuppressionRepresentation) },
    },
    handler: async () => {
      const now = clock.now();
      return (await store.listSuppressions()).map((suppression) => suppressionJson(suppression, now));
    },
  });

  app.post<{ Body: SuppressionBody }>('/suppressions', {
    schema: {
      operationId: 'createSuppression',
      tags: TAGS,
      summary: 'Suppress a vulnerability',
      description:
        'Its findings (by name or alias, narrowed by package, configuration, repository and tag globs) leave the summary counts, the Atom feeds of open findings and notifications at once, and come back when it expires or is deleted. Writes `suppression.created` events.',
      body: SuppressionBody,
      response: { 201: SuppressionRepresentation, 409: Problem },
    },
    handler: async (request, reply) => {
      const now = clock.now();
      const input = await inputOf(deps, request.body, now);
      const id = request.body.id ?? randomUUID();
      const created = await store.createSuppression({ id, ...input }, principalName(request), now);
      if (!created) throw new AppError('SUPPRESSION_EXISTS', `a suppression with id ${id} exists; PATCH /suppressions/${id} changes it`, [{ field: 'id', message: 'id is taken' }]);
      request.log.info({ suppressionId: id, vulnerability: input.vulnerability }, 'suppression created');
      return reply.code(201).header('location', `/suppressions/${id}`).send(suppressionJson(created, now));
    },
  });

  app.get<{ Params: SuppressionIdParams }>('/suppressions/:id', {
    schema: {
      operationId: 'getSuppression',
      tags: TAGS,
      summary: 'One suppression',
      description: 'The suppression with who created it, when, its expiry and whether it is active.',
      params: SuppressionIdParams,
      querystring: NoQuery,
      response: { 200: SuppressionRepresentation },
    },
    handler: async (request) => {
      const suppression = await store.getSuppression(request.params.id);
      if (!suppression) throw notFound(request.params.id);
      return suppressionJson(suppression, clock.now());
    },
  });

  app.patch<{ Params: SuppressionIdParams; Body: SuppressionPatch }>('/suppressions/:id', {
    schema: {
      operationId: 'updateSuppression',
      tags: TAGS,
      summary: 'Change a suppression',
      description: 'Findings are re-evaluated at once; an expired suppression given a later expiry (or none) is active again. Writes `suppression.updated` events.',
      params: SuppressionIdParams,
      body: SuppressionPatch,
      response: { 200: SuppressionRepresentation },
    },
    handler: async (request) => {
      const before = await store.getSuppression(request.params.id);
      if (!before) throw notFound(request.params.id);
      const now = clock.now();
      // Nothing to change: nothing is written and no event is logged.
      if (Object.keys(request.body).length === 0) return suppressionJson(before, now);
      const input = await inputOf(deps, patched(before, request.body), now);
      const updated = await store.updateSuppression(before.id, input, now);
      if (!updated) throw notFound(request.params.id);
      return suppressionJson(updated, now);
    },
  });

  app.delete<{ Params: SuppressionIdParams }>('/suppressions/:id', {
    schema: {
      operationId: 'deleteSuppression',
      tags: TAGS,
      summary: 'Remove a suppression',
      description: 'Its findings count again at once. Writes `suppression.deleted` events.',
      params: SuppressionIdParams,
      response: { 204: Type.Null({ description: 'removed' }) },
    },
    handler: async (request, reply) => {
      if (!(await store.deleteSuppression(request.params.id, clock.now()))) throw notFound(request.params.id);
      return reply.code(204).send();
    },
  });
}
