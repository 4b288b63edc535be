import { type Static, Type } from 'typebox';
import { IMAGE_STATUSES } from '../domain/image.js';
import {
  MAX_TAGS,
  PLATFORM_PATTERN,
  REGION_PATTERN,
  REGISTRY_PATTERN,
  REPOSITORY_PATTERN,
  SCANNER_IDS,
  TAG_PATTERN,
} from '../domain/scan-config.js';
import { SEVERITIES } from '../domain/severity.js';

// These schemas validate requests and generate /openapi.json: one source for both.

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ScanConfigBody = Type.Object(
  {
    region: Type.Optional(Nullable(Type.String({ pattern: REGION_PATTERN, maxLength: 32, description: 'AWS region; required for an account-id registry' }))),
    registry: Type.String({ pattern: REGISTRY_PATTERN, maxLength: 261, description: '12-digit AWS account id or registry host[:port]' }),
    repository: Type.String({ pattern: REPOSITORY_PATTERN, minLength: 2, maxLength: 256 }),
    tags: Type.Optional(
      Nullable(
        Type.Array(Type.String({ pattern: TAG_PATTERN, description: 'a tag or a glob with *' }), {
          maxItems: MAX_TAGS,
          description: 'tags or globs; absent or null means every tagged image',
        }),
      ),
    ),
    schedule: Type.Optional(Nullable(Type.String({ minLength: 2, maxLength: 100, description: 'a duration ("6h", at least "5m") or a 5-field cron expression' }))),
    scanner: Type.Optional(Nullable(Type.Union(SCANNER_IDS.map((id) => Type.Literal(id))))),
    platform: Type.Optional(Nullable(Type.String({ pattern: PLATFORM_PATTERN, maxLength: 64, description: 'os/arch[/variant] for multi-platform images' }))),
  },
  { additionalProperties: false },
);
export type ScanConfigBody = Static<typeof ScanConfigBody>;

export const ConfigIdParams = Type.Object(
  // Any shape: an id that is not a UUID is simply unknown (404), as in the demo's walkthrough.
  { id: Type.String({ minLength: 1, maxLength: 1024, description: 'configuration id (a UUID)' }) },
  { additionalProperties: false },
);
export type ConfigIdParams = Static<typeof ConfigIdParams>;

const Timestamp = Nullable(Type.String({ format: 'date-time' }));
const ImageStatus = Type.Union(IMAGE_STATUSES.map((status) => Type.Literal(status)));
const Counts = Type.Object(Object.fromEntries(SEVERITIES.map((severity) => [severity, Type.Optional(Type.Integer())])));

export const ConfigRepresentation = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created: Type.String({ description: 'Unix seconds, as a string (as the original demo wrote it)' }),
  region: Nullable(Type.String()),
  registry: Type.String(),
  repository: Type.String(),
  tags: Nullable(Type.Array(Type.String())),
  schedule: Type.String(),
  scanner: Type.String(),
  platform: Nullable(Type.String()),
  status: Type.String(),
  lastScan: Timestamp,
  nextScan: Timestamp,
  lastError: Nullable(Type.String()),
  images: Type.Array(Type.Object({ tag: Type.String(), digest: Nullable(Type.String()), status: ImageStatus })),
});

export const ScanAccepted = Type.Object({
  runId: Type.String({ format: 'uuid' }),
  configId: Type.String({ format: 'uuid' }),
  status: Type.String(),
  requestedAt: Type.String({ format: 'date-time' }),
});

export const SummaryQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])) }, { additionalProperties: false });
export type SummaryQuery = Static<typeof SummaryQuery>;

export const SummaryRepresentation = Type.Object({
  generatedAt: Type.String({ format: 'date-time' }),
  totals: Counts,
  configs: Type.Array(
    Type.Object({
      id: Type.String(),
      region: Nullable(Type.String()),
      registry: Type.String(),
      repository: Type.String(),
      status: Type.String(),
      lastScan: Timestamp,
      lastError: Nullable(Type.String()),
      images: Type.Array(
        Type.Object({
          tag: Type.String(),
          digest: Nullable(Type.String()),
          status: ImageStatus,
          scannedAt: Timestamp,
          counts: Counts,
          error: Nullable(Type.String()),
        }),
      ),
    }),
  ),
});

export const FindingsQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'page size, 1 to 1000 (default 100)' })),
    after: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'cursor from the previous page' })),
    severity: Type.Optional(Type.String({ pattern: `^(${SEVERITIES.join('|')})(,(${SEVERITIES.join('|')}))*$`, description: 'comma-separated severities' })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('fixed'), Type.Literal('all')])),
    format: Type.Optional(Type.Union([Type.Literal('atom'), Type.Literal('json')])),
  },
  { additionalProperties: false },
);
export type FindingsQuery = Static<typeof FindingsQuery>;

export const FindingRepresentation = Type.Object({
  name: Type.String(),
  severity: Type.String(),
  package: Nullable(Type.String()),
  version: Nullable(Type.String()),
  fixedVersion: Nullable(Type.String()),
  uri: Nullable(Type.String()),
  description: Nullable(Type.String()),
  cvss: Nullable(Type.Object({ score: Nullable(Type.Number()), vector: Nullable(Type.String()) })),
  aliases: Type.Array(Type.String()),
  path: Nullable(Type.String({ description: 'file inside the image the package was read from' })),
  tag: Type.String(),
  digest: Nullable(Type.String()),
  firstSeen: Type.String({ format: 'date-time' }),
  lastSeen: Type.String({ format: 'date-time' }),
  fixedAt: Timestamp,
  status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('FIXED')]),
});

export const FindingsRepresentation = Type.Object({
  findings: Type.Array(FindingRepresentation),
  next: Nullable(Type.String()),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);
