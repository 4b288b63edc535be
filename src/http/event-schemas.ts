import { type Static, Type } from 'typebox';
import { EVENT_TYPES } from '../domain/event.js';
import { IMAGE_STATUSES } from '../domain/image.js';
import { SEVERITIES } from '../domain/severity.js';
import { EpssScore, KevListing, Nullable } from './schemas.js';

// Schemas of the event log's routes: they validate requests and generate /openapi.json.

const Severity = Type.Union(SEVERITIES.map((severity) => Type.Literal(severity)));
const Cvss = Nullable(Type.Object({ score: Nullable(Type.Number()), vector: Nullable(Type.String()) }));

const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'page size (default 100)' })),
  after: Type.Optional(Type.String({ maxLength: 64, description: 'cursor from the previous page (`next`)' })),
  type: Type.Optional(Type.String({ maxLength: 512, description: `comma-separated event types: ${EVENT_TYPES.join(', ')}` })),
  severity: Type.Optional(Type.String({ maxLength: 128, description: 'comma-separated severities of finding events (any case)' })),
  kev: Type.Optional(Type.Boolean({ description: "true: only finding events whose CVE CISA's KEV catalogue lists now" })),
  fixable: Type.Optional(Type.Boolean({ description: 'true: only finding events whose finding has a fixed version now' })),
  minEpss: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'only finding events whose CVE has an EPSS score at least this now' })),
};

export const EventsQuery = Type.Object(
  {
    ...PageQuery,
    config: Type.Optional(Type.String({ maxLength: 3800, description: 'comma-separated configuration ids' })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'oldest first (default) or newest first' })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const ConfigEventsQuery = Type.Object(
  { ...PageQuery, format: Type.Optional(Type.Union([Type.Literal('atom'), Type.Literal('json')])) },
  { additionalProperties: false },
);
export type ConfigEventsQuery = Static<typeof ConfigEventsQuery>;

export const AnyIdParams = Type.Object({ id: Type.String({ maxLength: 200, description: 'configuration id' }) }, { additionalProperties: false });
export type AnyIdParams = Static<typeof AnyIdParams>;

export const EventFinding = Type.Object({
  name: Type.String(),
  severity: Severity,
  package: Nullable(Type.String()),
  version: Nullable(Type.String()),
  fixedVersion: Nullable(Type.String()),
  uri: Nullable(Type.String()),
  cvss: Cvss,
  aliases: Type.Array(Type.String()),
  path: Nullable(Type.String()),
  kev: Type.Optional(Nullable(KevListing)),
  epss: Type.Optional(Nullable(EpssScore)),
  severitySource: Type.Optional(Type.Union([Type.Literal('advisory'), Type.Literal('nvd')], { description: 'events of a prioritisation import: where severity and cvss come from' })),
});

export const EventRepresentation = Type.Object({
  id: Type.String({ format: 'uuid', description: 'UUIDv7: time-ordered, unique; receivers de-duplicate on it' }),
  cursor: Type.String({ description: 'the position of this event in the log: pass it as `after` to read what follows it' }),
  type: Type.Union(EVENT_TYPES.map((type) => Type.Literal(type))),
  time: Type.String({ format: 'date-time' }),
  configId: Type.String(),
  runId: Nullable(Type.String()),
  registry: Type.String(),
  repository: Type.String(),
  region: Nullable(Type.String()),
  tag: Nullable(Type.String()),
  digest: Nullable(Type.String()),
  severity: Nullable(Severity),
  finding: Type.Optional(EventFinding),
  previous: Type.Optional(
    Type.Object({
      severity: Severity,
      fixedVersion: Nullable(Type.String()),
      cvss: Cvss,
      kev: Type.Optional(Nullable(KevListing)),
      epss: Type.Optional(Nullable(EpssScore)),
    }),
  ),
  reason: Type.Optional(Type.Union([Type.Literal('not_found'), Type.Literal('image_removed'), Type.Literal('withdrawn')])),
  previousDigest: Type.Optional(Nullable(Type.String())),
  scope: Type.Optional(Type.Union([Type.Literal('config'), Type.Literal('image')])),
  status: Type.Optional(Type.Union([...IMAGE_STATUSES.map((status) => Type.Literal(status))])),
  error: Type.Optional(Nullable(Type.String())),
  closedFindings: Type.Optional(Type.Integer()),
  suppression: Type.Optional(
    Type.Object({
      id: Type.String(),
      vulnerability: Type.String(),
      status: Type.String(),
      justification: Nullable(Type.String()),
      reason: Type.String(),
      expiresAt: Nullable(Type.String({ format: 'date-time' })),
    }),
  ),
  affectedFindings: Type.Optional(Type.Integer({ description: 'suppression events: open findings of the configuration it suppressed or gave back' })),
});

export const EventsPage = Type.Object({ events: Type.Array(EventRepresentation), next: Nullable(Type.String()) }, { title: 'EventsPage' });
