import { type Static, type TSchema, Type } from 'typebox';
import { IMAGE_STATUSES } from '../domain/image.js';
import {
  CONFIG_STATUSES,
  MAX_NEWEST,
  MAX_TAGS,
  PLATFORM_PATTERN,
  REGION_PATTERN,
  REGISTRY_PATTERN,
  REPOSITORY_GLOB_PATTERN,
  REPOSITORY_PATTERN,
  SCANNER_IDS,
  TAG_PATTERN,
} from '../domain/scan-config.js';
import { SEVERITIES } from '../domain/severity.js';

// These schemas validate requests and generate /openapi.json: one source for both. A
// schema with a `title` becomes a named component of the OpenAPI document (openapi.ts),
// so that generated clients get a type per title.

/** The schema, or null: one definition for every schema module of the API. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string enum that validators and OpenAPI tools both read as one (`type` and `enum`). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; title?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

const Scanner = StringEnum(SCANNER_IDS, { description: '`ecr` (default for an account-id registry) or `builtin` (default for a host registry)' });
const Severity = StringEnum(SEVERITIES);
const Region = Type.String({ pattern: REGION_PATTERN, maxLength: 32, description: 'AWS region; required for an account-id registry' });
const Registry = Type.String({ pattern: REGISTRY_PATTERN, maxLength: 261, description: '12-digit AWS account id or registry host[:port]' });
const Repository = Type.String({
  pattern: REPOSITORY_GLOB_PATTERN,
  minLength: 1,
  maxLength: 256,
  description:
    'lower-case path components joined by /, or a glob over repository names: `*` within a component (`team/*`, `*/api`), `**` for any number of components (`**` alone: every repository the credentials can list)',
});
const RepositoryName = Type.String({ pattern: REPOSITORY_PATTERN, description: 'the repository of the image' });
const Tags = Type.Array(Type.String({ pattern: TAG_PATTERN, description: 'a tag or a glob with *' }), {
  maxItems: MAX_TAGS,
  description: 'tags or globs; absent or null means every tagged image',
});
const Schedule = Type.String({ minLength: 2, maxLength: 100, description: 'a duration ("6h", at least "5m") or a 5-field cron expression (UTC)' });
const Platform = Type.String({ pattern: PLATFORM_PATTERN, maxLength: 64, description: 'os/arch[/variant] for multi-platform images (default linux/amd64)' });
const Newest = Type.Integer({
  minimum: 1,
  maximum: MAX_NEWEST,
  description: 'only the N most recently pushed of the selected tags, per repository (ECR: imagePushedAt; other registries: the image configuration\'s created)',
});
const PushedWithin = Type.String({ minLength: 2, maxLength: 20, description: 'only tags pushed within this duration, such as "30d" or "12h"' });
const Exclude = Type.Array(Type.String({ pattern: TAG_PATTERN, description: 'a tag or a glob with *' }), {
  maxItems: MAX_TAGS,
  description: 'tags or globs left out of the selection',
});
const Progress = Type.Object(
  { done: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false, title: 'ScanProgress', description: 'images (digests) scanned of those the running scan selected' },
);

export const ScanConfigBody = Type.Object(
  {
    region: Type.Optional(Nullable(Region)),
    registry: Registry,
    repository: Repository,
    tags: Type.Optional(Nullable(Tags)),
    schedule: Type.Optional(Nullable(Schedule)),
    scanner: Type.Optional(Nullable(Scanner)),
    platform: Type.Optional(Nullable(Platform)),
    newest: Type.Optional(Nullable(Newest)),
    pushedWithin: Type.Optional(Nullable(PushedWithin)),
    exclude: Type.Optional(Nullable(Exclude)),
  },
  { additionalProperties: false, title: 'ScanConfigInput', description: 'A scan configuration to register (the original demo\'s body, accepted as is).' },
);
export type ScanConfigBody = Static<typeof ScanConfigBody>;

export const ScanConfigPatch = Type.Object(
  {
    tags: Type.Optional(Nullable(Tags)),
    schedule: Type.Optional(Nullable({ ...Schedule, description: 'null returns to the server\'s default schedule' })),
    scanner: Type.Optional(Nullable(Scanner)),
    platform: Type.Optional(Nullable(Platform)),
    newest: Type.Optional(Nullable(Newest)),
    pushedWithin: Type.Optional(Nullable(PushedWithin)),
    exclude: Type.Optional(Nullable(Exclude)),
    region: Type.Optional(Nullable({ ...Region, description: 'fixed: may only repeat the stored value' })),
    registry: Type.Optional({ ...Registry, description: 'fixed: may only repeat the stored value' }),
    repository: Type.Optional({ ...Repository, description: 'fixed: may only repeat the stored value' }),
  },
  {
    additionalProperties: false,
    title: 'ScanConfigPatch',
    description: 'Fields to change (JSON merge patch); fields left out keep their value. Registry, region and repository cannot change.',
  },
);
export type ScanConfigPatch = Static<typeof ScanConfigPatch>;

export const ConfigIdParams = Type.Object(
  // Any shape: an id that is not a UUID is simply unknown (404), as in the demo's walkthrough.
  { id: Type.String({ minLength: 1, maxLength: 1024, description: 'configuration id (a UUID)' }) },
  { additionalProperties: false },
);
export type ConfigIdParams = Static<typeof ConfigIdParams>;

const Timestamp = Nullable(Type.String({ format: 'date-time' }));
const ImageStatus = StringEnum(IMAGE_STATUSES);
const ConfigStatus = StringEnum(CONFIG_STATUSES);
export const Counts = Type.Object(Object.fromEntries(SEVERITIES.map((severity) => [severity, Type.Optional(Type.Integer({ minimum: 0 }))])), {
  additionalProperties: false,
  title: 'SeverityCounts',
  description: 'open findings by severity; zero counts left out',
});

export const ConfigRepresentation = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    created: Type.String({ description: 'Unix seconds, as a string (as the original demo wrote it)' }),
    region: Nullable(Type.String()),
    registry: Type.String(),
    repository: Type.String(),
    tags: Nullable(Type.Array(Type.String())),
    schedule: Type.String(),
    scanner: Scanner,
    platform: Type.String({ description: 'the platform scanned in multi-platform images' }),
    newest: Nullable(Newest),
    pushedWithin: Nullable(PushedWithin),
    exclude: Nullable(Exclude),
    status: ConfigStatus,
    lastScan: Timestamp,
    nextScan: Timestamp,
    lastError: Nullable(Type.String()),
    progress: Nullable(Progress),
    createdBy: Nullable(Type.String({ description: 'the name of the token that registered it; null without tokens' })),
    images: Type.Array(
      Type.Object(
        {
          repository: RepositoryName,
          tag: Type.String(),
          digest: Nullable(Type.String()),
          status: ImageStatus,
          error: Nullable(Type.String({ description: 'why the last scan did not complete' })),
          warnings: Type.Optional(
            Type.Array(Type.String(), { description: 'built-in scanner: what makes this result less than current, such as advisory data older than ECRSCAN_ADVISORY_MAX_AGE' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'ScanConfig', description: 'A scan configuration with its scan state; the demo\'s fields first.' },
);

export const ScanAccepted = Type.Object(
  {
    runId: Type.String({ format: 'uuid' }),
    configId: Type.String({ format: 'uuid' }),
    status: StringEnum(['QUEUED', 'RUNNING', 'COMPLETE', 'PARTIAL', 'FAILED', 'ABANDONED']),
    requestedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, title: 'ScanAccepted' },
);

/** For routes that take no parameters: an unknown one is a mistake worth a 400, not silence. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

const SEVERITY_ITEM = `(?:${SEVERITIES.map((severity) => severity.split('').map((c) => `[${c}${c.toLowerCase()}]`).join('')).join('|')})`;

const CONFIG_STATUS_ITEM = `(?:${CONFIG_STATUSES.map((status) => status.split('').map((c) => `[${c}${c.toLowerCase()}]`).join('')).join('|')})`;

export const SummaryQuery = Type.Object(
  {
    format: Type.Optional(StringEnum(['text', 'json'], { description: 'overrides Accept' })),
    repository: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9*][a-z0-9._/*-]{0,255}$',
        description: 'only configurations of this repository; `*` matches any run of characters (`team/*`, `*nginx*`)',
      }),
    ),
    severity: Type.Optional(
      Type.String({
        pattern: `^${SEVERITY_ITEM}(?:,${SEVERITY_ITEM})*$`,
        description: `comma-separated severities, any case: only configurations with open findings of these, and only these counted`,
      }),
    ),
    status: Type.Optional(
      Type.String({
        pattern: `^${CONFIG_STATUS_ITEM}(?:,${CONFIG_STATUS_ITEM})*$`,
        description: `comma-separated configuration statuses, any case: ${CONFIG_STATUSES.join(', ')}`,
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'configurations per page (default: all that match); `next` gives the following page' })),
    after: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'cursor from the previous page (`next`)' })),
    images: Type.Optional(Type.Boolean({ description: 'false: per-configuration totals instead of a block per image' })),
  },
  { additionalProperties: false },
);
export type SummaryQuery = Static<typeof SummaryQuery>;

export const SummaryRepresentation = Type.Object(
  {
    generatedAt: Type.String({ format: 'date-time' }),
    warnings: Type.Optional(
      Type.Array(Type.String(), { description: 'what makes these figures less than current, such as advisory data older than ECRSCAN_ADVISORY_MAX_AGE' }),
    ),
    totals: Counts,
    next: Type.Optional(Nullable(Type.String({ description: 'with `limit`: the cursor (`after`) of the next page, null on the last' }))),
    configs: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          region: Nullable(Type.String()),
          registry: Type.String(),
          repository: Type.String(),
          status: ConfigStatus,
          lastScan: Timestamp,
          lastError: Nullable(Type.String()),
          counts: Type.Optional(Counts),
          images: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  repository: RepositoryName,
                  tag: Type.String(),
                  digest: Nullable(Type.String()),
                  status: ImageStatus,
                  scannedAt: Timestamp,
                  counts: Counts,
                  kev: Type.Integer({ minimum: 0, description: "open findings listed in CISA's Known Exploited Vulnerabilities catalogue" }),
                  fixable: Type.Integer({ minimum: 0, description: 'open findings with a fixed version' }),
                  error: Nullable(Type.String()),
                },
                { additionalProperties: false },
              ),
              { description: 'left out with `images=false`' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Summary' },
);

export const SummaryText = Type.String({ title: 'SummaryText', description: 'the original demo\'s layout: a "Results for REPO:TAG in REGION:" block per image, one " SEVERITY: N" line per severity' });

export const FindingsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'page size (default 100)' })),
    after: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'cursor from the previous page' })),
    severity: Type.Optional(
      Type.String({
        pattern: `^${SEVERITY_ITEM}(?:,${SEVERITY_ITEM})*$`,
        description: `comma-separated severities, any case: ${SEVERITIES.join(', ')}`,
      }),
    ),
    status: Type.Optional(StringEnum(['active', 'fixed', 'suppressed', 'all'], { description: 'which findings (default active: open and not suppressed)' })),
    kev: Type.Optional(Type.Boolean({ description: "true: only findings whose CVE CISA's KEV catalogue lists" })),
    fixable: Type.Optional(Type.Boolean({ description: 'true: only findings with a fixed version' })),
    minEpss: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'only findings whose CVE has an EPSS score at least this' })),
    sort: Type.Optional(
      StringEnum(['newest', 'risk'], {
        description: 'newest (default): first seen, newest first. risk: KEV-listed first, then EPSS score × severity weight (CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1), then severity, then newest',
      }),
    ),
    format: Type.Optional(StringEnum(['atom', 'json', 'sarif', 'csv'], { description: 'overrides Accept; sarif and csv are every finding at once' })),
  },
  { additionalProperties: false },
);
export type FindingsQuery = Static<typeof FindingsQuery>;

export const SarifLogSchema = Type.Object(
  {
    $schema: Type.String(),
    version: Type.Literal('2.1.0'),
    runs: Type.Array(Type.Object({ tool: Type.Object({}, { additionalProperties: true }), results: Type.Array(Type.Object({}, { additionalProperties: true })) }, { additionalProperties: true })),
  },
  { title: 'SarifLog', description: 'a SARIF 2.1.0 log: one rule per vulnerability, one result per package and image', additionalProperties: true },
);

export const FindingsCsv = Type.String({ description: 'RFC 4180 CSV with a header row, one row per finding per image' });

export const KevListing = Type.Object(
  {
    dateAdded: Type.String({ format: 'date' }),
    dueDate: Nullable(Type.String({ format: 'date' })),
    knownRansomwareCampaignUse: StringEnum(['Known', 'Unknown']),
  },
  { additionalProperties: false, title: 'KevListing', description: "the CVE's entry in CISA's Known Exploited Vulnerabilities catalogue" },
);

export const EpssScore = Type.Object(
  {
    score: Type.Number({ minimum: 0, maximum: 1, description: 'probability of exploitation in the next 30 days' }),
    percentile: Type.Number({ minimum: 0, maximum: 1 }),
    date: Nullable(Type.String({ format: 'date', description: 'the day of the scores' })),
  },
  { additionalProperties: false, title: 'EpssScore', description: "the CVE's score in FIRST's Exploit Prediction Scoring System" },
);

export const FindingRepresentation = Type.Object(
  {
    name: Type.String(),
    severity: Severity,
    package: Nullable(Type.String()),
    version: Nullable(Type.String()),
    fixedVersion: Nullable(Type.String()),
    uri: Nullable(Type.String()),
    description: Nullable(Type.String()),
    cvss: Nullable(Type.Object({ score: Nullable(Type.Number()), vector: Nullable(Type.String()) }, { additionalProperties: false })),
    severitySource: StringEnum(['advisory', 'nvd'], { description: "where severity and cvss come from: the advisory, or NVD's CVSS base score when the advisory has no severity" }),
    kev: Nullable(KevListing),
    epss: Nullable(EpssScore),
    aliases: Type.Array(Type.String()),
    path: Nullable(Type.String({ description: 'file inside the image the package was read from' })),
    repository: RepositoryName,
    tag: Type.String(),
    digest: Nullable(Type.String()),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' }),
    fixedAt: Timestamp,
    status: StringEnum(['ACTIVE', 'FIXED', 'SUPPRESSED']),
    suppression: Type.Optional(
      Nullable(
        Type.Object(
          {
            id: Type.String(),
            status: Type.String({ description: 'not_affected, accepted_risk, false_positive or will_not_fix' }),
            justification: Nullable(Type.String()),
            reason: Type.String(),
            expiresAt: Timestamp,
          },
          { additionalProperties: false, description: 'the suppression that covers the finding (see /suppressions)' },
        ),
      ),
    ),
  },
  { additionalProperties: false, title: 'Finding' },
);

export const FindingsRepresentation = Type.Object(
  {
    findings: Type.Array(FindingRepresentation),
    next: Nullable(Type.String({ description: 'the `after` cursor of the next page' })),
  },
  { additionalProperties: false, title: 'FindingsPage' },
);

export const AtomFeed = Type.String({ title: 'AtomFeed', description: 'an Atom (RFC 4287) feed, newest first, with RFC 5005 `next` links' });

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'urn:ecrscan:problem:CODE' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String({ description: 'the first offending field' })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: false }))),
  },
  { title: 'Problem', description: 'RFC 9457 problem details' },
);
