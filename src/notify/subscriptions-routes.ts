import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Clock } from '../clock.js';
import type { DeliveryRecord, SigningSubscription, SubscriptionFilters } from '../domain/subscription.js';
import { AppError } from '../errors.js';
import { NoQuery, Problem } from '../http/schemas.js';
import type { Store } from '../store/store.js';
import { planTestMessage } from './plans.js';
import { generateSecret, isValidSecret } from './secrets.js';
import {
  DeliveriesQuery,
  DeliveriesRepresentation,
  type Filters,
  SubscriptionBody,
  SubscriptionIdParams,
  SubscriptionPatchBody,
  SubscriptionRepresentation,
  TestAccepted,
} from './subscription-schemas.js';
import { checkWebhookUrl, redactedUrl, WebhookUrlError } from './webhook-target.js';

/** How long a rotated-out secret keeps signing, so receivers can switch without losing messages. */
export const ROTATION_OVERLAP_MS = 86_400_000;

/** What the routes need besides the store: the URL rules, and a cue for the delivery worker. */
export interface SubscriptionRouteDeps {
  store: Store;
  clock: Clock;
  notifications?: { allowPrivate: boolean; publicUrl: string; wake(): void };
}

const TAGS = ['subscriptions'];

function notFound(id: string): AppError {
  return new AppError('SUBSCRIPTION_NOT_FOUND', `no subscription with id ${id}`, [{ field: 'id', message: 'id is unknown' }]);
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ field, message }]);
}

/** The caller's name when authentication knows one (named tokens), else null. */
function principalOf(request: FastifyRequest): string | null {
  const principal: unknown = Reflect.get(request, 'principal');
  if (typeof principal === 'string') return principal;
  if (principal && typeof principal === 'object') {
    const name: unknown = Reflect.get(principal, 'name');
    if (typeof name === 'string') return name;
  }
  return null;
}

function subscriptionJson(subscription: Omit<SigningSubscription, 'secret' | 'previousSecret' | 'startSeq'>, secret?: string) {
  return {
    id: subscription.id,
    url: redactedUrl(subscription.url),
    format: subscription.format,
    filters: subscription.filters,
    digest: subscription.digest,
    sendEmpty: subscription.sendEmpty,
    description: subscription.description,
    status: subscription.failingSince ? ('failing' as const) : ('active' as const),
    failingSince: subscription.failingSince?.toISOString() ?? null,
    consecutiveFailures: subscription.consecutiveFailures,
    lastDeliveryAt: subscription.lastDeliveryAt?.toISOString() ?? null,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
    createdBy: subscription.createdBy,
    previousSecretExpiresAt: subscription.previousSecretExpiresAt?.toISOString() ?? null,
    ...(secret ? { secret } : {}),
  };
}

function deliveryJson(record: DeliveryRecord) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    ...record,
    createdAt: record.createdAt.toISOString(),
    nextAttemptAt: iso(record.nextAttemptAt),
    deliveredAt: iso(record.deliveredAt),
    lastAttemptAt: iso(record.lastAttemptAt),
    history: record.history.map((attempt) => ({ ...attempt, at: attempt.at.toISOString() })),
  };
}

/** Checks what the schema cannot: the URL against the address rules, configuration ids against the store. */
async function checkInput(deps: SubscriptionRouteDeps, body: { url?: string; filters?: Filters; secret?: string }): Promise<SubscriptionFilters | undefined> {
  if (body.secret !== undefined && !isValidSecret(body.secret)) throw invalid('secret', 'secret must be whsec_ followed by the base64 of 24 to 64 bytes');
  if (body.url !== undefined) {
    try {
      checkWebhookUrl(body.url, deps.notifications?.allowPrivate ?? false);
    } catch (err) {
      if (err instanceof WebhookUrlError) throw invalid('url', err.message);
      throw err;
    }
  }
  if (!body.filters) return undefined;
  const configs = body.filters.configs ?? null;
  for (const [index, id] of (configs ?? []).entries()) {
    if (!(await deps.store.getConfig(id))) throw invalid(`filters.configs[${index}]`, `no scan configuration with id ${id}`);
  }
  return {
    configs: configs && configs.length > 0 ? configs : null,
    repositories: body.filters.repositories && body.filters.repositories.length > 0 ? body.filters.repositories : null,
    types: body.filters.types && body.filters.types.length > 0 ? body.filters.types : null,
    minSeverity: body.filters.minSeverity ?? null,
    fixableOnly: body.filters.fixableOnly ?? false,
  };
}

const NO_FILTERS: SubscriptionFilters = { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false };

export function registerSubscriptionRoutes(app: FastifyInstance, deps: SubscriptionRouteDeps): void {
  const { store, clock } = deps;

  app.get('/subscriptions', {
    schema: {
      operationId: 'listSubscriptions',
      tags: TAGS,
      summary: 'List webhook subscriptions',
      description: 'Every subscription with its filters and delivery health; URLs without their path, secrets never.',
      querystring: NoQuery,
      response: { 200: Type.Array(SubscriptionRepresentation) },
    },
    handler: async () => (await store.listSubscriptions()).map((subscription) => subscriptionJson(subscription)),
  });

  app.post<{ Body: SubscriptionBody }>('/subscriptions', {
    schema: {
      operationId: 'createSubscription',
      tags: TAGS,
      summary: 'Subscribe a webhook to events (the secret is shown in this answer only)',
      description: 'Messages are signed per the Standard Webhooks specification and delivered at least once, in the chosen format.',
      body: SubscriptionBody,
      response: { 201: SubscriptionRepresentation, 400: Problem, 413: Problem, 415: Problem },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const filters = (await checkInput(deps, body)) ?? NO_FILTERS;
      const secret = body.secret ?? generateSecret();
      const created = await store.createSubscription(
        {
          url: body.url,
          format: body.format ?? 'json',
          filters,
          digest: body.digest ?? 'run',
          sendEmpty: body.sendEmpty ?? false,
          description: body.description ?? null,
          secret,
          createdBy: principalOf(request),
        },
        clock.now(),
      );
      return reply.code(201).header('location', `/subscriptions/${created.id}`).send(subscriptionJson(created, secret));
    },
  });

  app.get<{ Params: SubscriptionIdParams }>('/subscriptions/:id', {
    schema: {
      operationId: 'getSubscription',
      tags: TAGS,
      summary: 'One webhook subscription with its delivery health',
      description: 'The subscription with its filters, last delivery and failures; an unknown id is 404.',
      params: SubscriptionIdParams,
      response: { 200: SubscriptionRepresentation, 404: Problem },
    },
    handler: async (request) => {
      const subscription = await store.getSubscription(request.params.id);
      if (!subscription) throw notFound(request.params.id);
      return subscriptionJson(subscription);
    },
  });

  app.patch<{ Params: SubscriptionIdParams; Body: SubscriptionPatchBody }>('/subscriptions/:id', {
    schema: {
      operationId: 'updateSubscription',
      tags: TAGS,
      summary: 'Change a subscription or rotate its secret (a new secret is shown in this answer only)',
      description: 'Fields left out keep their value; a rotated secret keeps signing alongside the new one for 24 hours.',
      params: SubscriptionIdParams,
      body: SubscriptionPatchBody,
      response: { 200: SubscriptionRepresentation, 400: Problem, 404: Problem, 413: Problem, 415: Problem },
    },
    handler: async (request) => {
      const { id } = request.params;
      const body = request.body;
      if (!(await store.getSubscription(id))) throw notFound(id);
      if (body.secret !== undefined && body.rotateSecret !== undefined) {
        throw invalid('rotateSecret', 'rotateSecret cannot be combined with secret: give a new secret or ask for one');
      }
      const filters = await checkInput(deps, body);
      const now = clock.now();
      const newSecret = body.secret ?? (body.rotateSecret ? generateSecret() : undefined);
      const updated = await store.updateSubscription(
        id,
        {
          ...(body.url !== undefined ? { url: body.url } : {}),
          ...(body.format !== undefined ? { format: body.format } : {}),
          ...(filters !== undefined ? { filters } : {}),
          ...(body.digest !== undefined ? { digest: body.digest } : {}),
          ...(body.sendEmpty !== undefined ? { sendEmpty: body.sendEmpty } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(newSecret ? { rotate: { secret: newSecret, previousExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS) } } : {}),
        },
        now,
      );
      if (!updated) throw notFound(id);
      return subscriptionJson(updated, newSecret);
    },
  });

  app.delete<{ Params: SubscriptionIdParams }>('/subscriptions/:id', {
    schema: {
      operationId: 'deleteSubscription',
      tags: TAGS,
      summary: 'Remove a subscription and its queued messages',
      description: 'Nothing more is sent to it, including messages queued but not yet delivered.',
      params: SubscriptionIdParams,
      response: { 204: Type.Null(), 404: Problem },
    },
    handler: async (request, reply) => {
      if (!(await store.deleteSubscription(request.params.id))) throw notFound(request.params.id);
      return reply.code(204).send();
    },
  });

  app.post<{ Params: SubscriptionIdParams }>('/subscriptions/:id/test', {
    schema: {
      operationId: 'testSubscription',
      tags: TAGS,
      summary: 'Queue a sample message to the subscription, signed and delivered as any other',
      description: 'Follow its delivery on GET /subscriptions/{id}/deliveries.',
      params: SubscriptionIdParams,
      response: { 202: TestAccepted, 404: Problem },
    },
    handler: async (request, reply) => {
      const subscription = await store.getSubscription(request.params.id);
      if (!subscription) throw notFound(request.params.id);
      const now = clock.now();
      const message = planTestMessage(subscription, { publicUrl: deps.notifications?.publicUrl ?? '' }, now);
      if (!(await store.enqueueDelivery(message, now))) throw notFound(request.params.id);
      deps.notifications?.wake();
      return reply
        .code(202)
        .header('location', `/subscriptions/${subscription.id}/deliveries`)
        .send({ subscriptionId: subscription.id, messageId: message.messageId });
    },
  });

  app.get<{ Params: SubscriptionIdParams; Querystring: DeliveriesQuery }>('/subscriptions/:id/deliveries', {
    schema: {
      operationId: 'listSubscriptionDeliveries',
      tags: TAGS,
      summary: 'Recent messages of a subscription with their attempts, status codes and errors',
      description: 'Newest first, with every attempt of each message.',
      params: SubscriptionIdParams,
      querystring: DeliveriesQuery,
      response: { 200: DeliveriesRepresentation, 400: Problem, 404: Problem },
    },
    handler: async (request) => {
      const limit = request.query.limit ?? 20;
      if (limit < 1 || limit > 100) throw invalid('limit', 'limit must be from 1 to 100');
      if (!(await store.getSubscription(request.params.id))) throw notFound(request.params.id);
      return { deliveries: (await store.listDeliveries(request.params.id, limit)).map(deliveryJson) };
    },
  });
}
