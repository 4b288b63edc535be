import { type Static, Type } from 'typebox';
import { EVENT_TYPES } from '../domain/event.js';
import { SEVERITIES } from '../domain/severity.js';
import { DELIVERY_STATUSES, DIGEST_MODES, SUBSCRIPTION_FORMATS } from '../domain/subscription.js';
import { Nullable } from '../http/schemas.js';
import { MAX_URL_LENGTH } from './webhook-target.js';

// These schemas validate requests and generate /openapi.json, as the rest of the API's do.

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

/** Repository names (SPEC §1) with `*` anywhere; matched in linear time, never as a regular expression. */
export const REPOSITORY_GLOB_PATTERN = '^[a-z0-9*][a-z0-9._/*-]*$';
export const MAX_FILTER_ENTRIES = 100;

export const Filters = Type.Object(
  {
    configs: Type.Optional(
      Nullable(Type.Array(Type.String({ format: 'uuid' }), { maxItems: MAX_FILTER_ENTRIES, description: 'configuration ids' })),
    ),
    repositories: Type.Optional(
      Nullable(
        Type.Array(Type.String({ pattern: REPOSITORY_GLOB_PATTERN, maxLength: 256, description: 'a repository name or a glob with *' }), {
          maxItems: MAX_FILTER_ENTRIES,
          description: 'repository globs; with configs, an event must match one entry of either',
        }),
      ),
    ),
    types: Type.Optional(Nullable(Type.Array(literals(EVENT_TYPES), { maxItems: EVENT_TYPES.length, uniqueItems: true }))),
    minSeverity: Type.Optional(Nullable(literals(SEVERITIES))),
    fixableOnly: Type.Optional(Type.Boolean({ description: 'leave out findings without a fixed version' })),
  },
  { additionalProperties: false },
);
export type Filters = Static<typeof Filters>;

const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'http(s) URL the messages are POSTed to' });
const Secret = Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$', description: 'whsec_ + base64 of 24 to 64 random bytes' });
const Description = Nullable(Type.String({ maxLength: 200 }));

export const SubscriptionBody = Type.Object(
  {
    url: Url,
    format: Type.Optional(literals(SUBSCRIPTION_FORMATS)),
    filters: Type.Optional(Filters),
    digest: Type.Optional(literals(DIGEST_MODES)),
    sendEmpty: Type.Optional(Type.Boolean({ description: 'periodic digests: send one saying "nothing new" when nothing matched' })),
    description: Type.Optional(Description),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
export type SubscriptionBody = Static<typeof SubscriptionBody>;

export const SubscriptionPatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    format: Type.Optional(literals(SUBSCRIPTION_FORMATS)),
    filters: Type.Optional(Filters),
    digest: Type.Optional(literals(DIGEST_MODES)),
    sendEmpty: Type.Optional(Type.Boolean()),
    description: Type.Optional(Description),
    secret: Type.Optional(Secret),
    rotateSecret: Type.Optional(Type.Boolean({ description: 'generate a new secret; the old one keeps signing for 24 hours' })),
  },
  { additionalProperties: false },
);
export type SubscriptionPatchBody = Static<typeof SubscriptionPatchBody>;

export const SubscriptionIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100, description: 'subscription id' }) },
  { additionalProperties: false },
);
export type SubscriptionIdParams = Static<typeof SubscriptionIdParams>;

export const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'messages listed (default 20)' })) },
  { additionalProperties: false },
);
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;

const Timestamp = Nullable(Type.String({ format: 'date-time' }));

export const SubscriptionRepresentation = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String({ description: 'scheme, host and port only: the path and query may hold a credential and are not shown back' }),
  format: literals(SUBSCRIPTION_FORMATS),
  filters: Type.Object({
    configs: Nullable(Type.Array(Type.String())),
    repositories: Nullable(Type.Array(Type.String())),
    types: Nullable(Type.Array(Type.String())),
    minSeverity: Nullable(Type.String()),
    fixableOnly: Type.Boolean(),
  }),
  digest: literals(DIGEST_MODES),
  sendEmpty: Type.Boolean(),
  description: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('failing')], { description: 'failing after repeated failed deliveries; its queue is kept' }),
  failingSince: Timestamp,
  consecutiveFailures: Type.Integer(),
  lastDeliveryAt: Timestamp,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  createdBy: Nullable(Type.String()),
  previousSecretExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'until when the secret before the last rotation still signs',
  }),
  secret: Type.Optional(Type.String({ description: 'shown once: on creation and on rotation' })),
});

export const DeliveryRepresentation = Type.Object({
  messageId: Type.String({ description: 'the webhook-id header: the idempotency key' }),
  kind: Type.Union([Type.Literal('run'), Type.Literal('periodic'), Type.Literal('test')]),
  status: literals(DELIVERY_STATUSES),
  configId: Nullable(Type.String()),
  runId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  attempts: Type.Integer(),
  nextAttemptAt: Timestamp,
  deliveredAt: Timestamp,
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Timestamp,
  history: Type.Array(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      statusCode: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
      durationMs: Type.Integer(),
    }),
  ),
});

export const DeliveriesRepresentation = Type.Object({ deliveries: Type.Array(DeliveryRepresentation) });

export const TestAccepted = Type.Object({ subscriptionId: Type.String(), messageId: Type.String() });
