import { type Static, Type } from 'typebox';
import { SUPPRESSION_ID_PATTERN, SUPPRESSION_STATUSES, VEX_JUSTIFICATIONS, VULNERABILITY_PATTERN } from '../triage/suppression.js';
import { Nullable, StringEnum } from './schemas.js';

// Schemas of /suppressions and /vex: they validate requests and generate /openapi.json.

const Id = Type.String({ pattern: SUPPRESSION_ID_PATTERN, description: 'chosen by the caller (an ignore file names its entries) or made by the service' });

const Fields = {
  vulnerability: Type.String({ pattern: VULNERABILITY_PATTERN, description: "matches a finding's name or any of its aliases (CVE-2024-1234 also covers DEBIAN-CVE-2024-1234 and a GHSA aliasing it)" }),
  package: Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'only findings in this package' })),
  configId: Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'only findings of this configuration' })),
  repository: Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'only repositories matching this glob (`*` for any characters, `/` included)' })),
  tag: Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'only tags matching this glob' })),
  status: StringEnum(SUPPRESSION_STATUSES, { description: 'VEX-style status: not_affected, accepted_risk, false_positive or will_not_fix' }),
  justification: Nullable(StringEnum(VEX_JUSTIFICATIONS, { description: 'an OpenVEX justification; only with not_affected' })),
  reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why: shown next to every finding it covers' }),
  expiresAt: Nullable(Type.String({ format: 'date-time', description: 'when it stops covering findings; null for never' })),
};

export const SuppressionBody = Type.Object(
  {
    id: Type.Optional(Id),
    vulnerability: Fields.vulnerability,
    package: Type.Optional(Fields.package),
    configId: Type.Optional(Fields.configId),
    repository: Type.Optional(Fields.repository),
    tag: Type.Optional(Fields.tag),
    status: Fields.status,
    justification: Type.Optional(Fields.justification),
    reason: Fields.reason,
    expiresAt: Type.Optional(Fields.expiresAt),
  },
  { additionalProperties: false, title: 'SuppressionInput' },
);
export type SuppressionBody = Static<typeof SuppressionBody>;

/** Every field but the id: what a suppression is made of once a body is read. */
export type SuppressionFields = Omit<SuppressionBody, 'id'>;

export const SuppressionPatch = Type.Object(
  {
    vulnerability: Type.Optional(Fields.vulnerability),
    package: Type.Optional(Fields.package),
    configId: Type.Optional(Fields.configId),
    repository: Type.Optional(Fields.repository),
    tag: Type.Optional(Fields.tag),
    status: Type.Optional(Fields.status),
    justification: Type.Optional(Fields.justification),
    reason: Type.Optional(Fields.reason),
    expiresAt: Type.Optional(Fields.expiresAt),
  },
  { additionalProperties: false, title: 'SuppressionPatch' },
);
export type SuppressionPatch = Static<typeof SuppressionPatch>;

export const SuppressionIdParams = Type.Object({ id: Type.String({ maxLength: 200, description: 'suppression id' }) }, { additionalProperties: false });
export type SuppressionIdParams = Static<typeof SuppressionIdParams>;

export const SuppressionRepresentation = Type.Object(
  {
    id: Type.String(),
    vulnerability: Type.String(),
    package: Nullable(Type.String()),
    configId: Nullable(Type.String()),
    repository: Nullable(Type.String()),
    tag: Nullable(Type.String()),
    status: Fields.status,
    justification: Nullable(StringEnum(VEX_JUSTIFICATIONS)),
    reason: Type.String(),
    createdBy: Nullable(Type.String({ description: 'the name of the token that created it' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    expiresAt: Nullable(Type.String({ format: 'date-time' })),
    expiredAt: Nullable(Type.String({ format: 'date-time', description: 'when its expiry took effect' })),
    state: StringEnum(['active', 'expired'] as const, { description: 'active: covers findings; expired: kept for the record, covers none' }),
  },
  { additionalProperties: false, title: 'Suppression' },
);

export const VexImportResult = Type.Object(
  {
    created: Type.Array(Type.String(), { description: 'ids of suppressions created' }),
    updated: Type.Array(Type.String(), { description: 'ids of suppressions replaced' }),
    unchanged: Type.Array(Type.String(), { description: 'ids of suppressions already as the document says' }),
    skipped: Type.Array(
      Type.Object({ statement: Type.Integer({ description: 'index in `statements`' }), reason: Type.String() }, { additionalProperties: false }),
      { description: 'statements that suppress nothing (affected, under_investigation)' },
    ),
  },
  { additionalProperties: false, title: 'VexImportResult' },
);

/** OpenVEX documents are checked against the vendored OpenVEX JSON schema in the route, which names the statement. */
export const VexDocumentBody = Type.Object(
  {},
  { additionalProperties: true, title: 'OpenVexDocument', description: 'an OpenVEX 0.2 document (https://github.com/openvex/spec), validated against its JSON schema' },
);

export const VexExport = Type.Object(
  {
    '@context': Type.String(),
    '@id': Type.String({ description: 'the same for the same suppressions' }),
    author: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    version: Type.Integer(),
    tooling: Type.String(),
    statements: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { title: 'OpenVexExport', description: 'the active suppressions as an OpenVEX 0.2 document' },
);
