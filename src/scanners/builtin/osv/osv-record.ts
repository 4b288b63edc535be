import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * An OSV record (https://ossf.github.io/osv-schema/), as far as this service reads it.
 * Unknown fields are allowed, so that newer schema versions still import; what is
 * declared is checked, because every record comes from outside.
 */

const Text = Type.String({ maxLength: 1_000_000 });
const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 10_000 });

export const OsvSeverity = Type.Object({ type: Type.String({ maxLength: 64 }), score: Type.String({ maxLength: 1024 }) });
export type OsvSeverity = Static<typeof OsvSeverity>;

const Version = Type.String({ minLength: 1, maxLength: 1024 });

// The schema allows exactly one kind per event object.
export const OsvEvent = Type.Union([
  Type.Object({ introduced: Version }, { additionalProperties: false }),
  Type.Object({ fixed: Version }, { additionalProperties: false }),
  Type.Object({ last_affected: Version }, { additionalProperties: false }),
  Type.Object({ limit: Version }, { additionalProperties: false }),
]);
export type OsvEvent = Static<typeof OsvEvent>;

export const OsvRange = Type.Object({
  type: Type.String({ maxLength: 64 }),
  repo: Type.Optional(Type.String()),
  events: Type.Array(OsvEvent, { minItems: 1, maxItems: 100_000 }),
  database_specific: Type.Optional(Type.Unknown()),
});
export type OsvRange = Static<typeof OsvRange>;

export const OsvAffected = Type.Object({
  package: Type.Optional(
    Type.Object({
      ecosystem: Type.String({ minLength: 1, maxLength: 256 }),
      name: Type.String({ minLength: 1, maxLength: 1024 }),
      purl: Type.Optional(Type.String()),
    }),
  ),
  severity: Type.Optional(Type.Array(OsvSeverity, { maxItems: 100 })),
  ranges: Type.Optional(Type.Array(OsvRange, { maxItems: 10_000 })),
  versions: Type.Optional(Type.Array(Version, { maxItems: 100_000 })),
  ecosystem_specific: Type.Optional(Type.Unknown()),
  database_specific: Type.Optional(Type.Unknown()),
});
export type OsvAffected = Static<typeof OsvAffected>;

export const OsvReference = Type.Object({ type: Type.String({ maxLength: 64 }), url: Type.String({ maxLength: 8192 }) });
export type OsvReference = Static<typeof OsvReference>;

export const OsvRecord = Type.Object({
  schema_version: Type.Optional(Type.String({ maxLength: 32 })),
  // Printable ASCII without spaces: ids end up in URLs and log lines.
  id: Type.String({ pattern: '^[\\x21-\\x7e]{1,256}$' }),
  modified: Type.String({ maxLength: 64 }),
  published: Type.Optional(Type.String({ maxLength: 64 })),
  withdrawn: Type.Optional(Type.String({ maxLength: 64 })),
  aliases: Type.Optional(Ids),
  upstream: Type.Optional(Ids),
  related: Type.Optional(Ids),
  summary: Type.Optional(Text),
  details: Type.Optional(Text),
  severity: Type.Optional(Type.Array(OsvSeverity, { maxItems: 100 })),
  affected: Type.Optional(Type.Array(OsvAffected, { maxItems: 100_000 })),
  references: Type.Optional(Type.Array(OsvReference, { maxItems: 100_000 })),
  credits: Type.Optional(Type.Unknown()),
  database_specific: Type.Optional(Type.Unknown()),
});
export type OsvRecord = Static<typeof OsvRecord>;

const recordValidator = Compile(OsvRecord);

export type OsvRecordResult = { ok: true; record: OsvRecord } | { ok: false; reason: string };

/** RFC 3339 as OSV writes it (`2024-01-02T03:04:05Z`, fractions and offsets allowed). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an OSV timestamp, or null when it is not one. */
export function parseOsvTime(value: string): number | null {
  if (!RFC3339.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Checks one parsed JSON document against the schema; the reason names the first offending field. */
export function checkOsvRecord(value: unknown): OsvRecordResult {
  if (!recordValidator.Check(value)) {
    const [first] = recordValidator.Errors(value);
    const where = first?.instancePath ? first.instancePath : '/';
    return { ok: false, reason: `schema: ${where} ${first?.message ?? 'is invalid'}` };
  }
  for (const field of ['modified', 'published', 'withdrawn'] as const) {
    const text = value[field];
    if (text !== undefined && parseOsvTime(text) === null) {
      return { ok: false, reason: `schema: /${field} is not an RFC 3339 timestamp` };
    }
  }
  return { ok: true, record: value };
}
