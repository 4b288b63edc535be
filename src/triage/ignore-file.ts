import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { SuppressionBody } from '../http/suppression-schemas.js';
import { SUPPRESSION_ID_PATTERN, type SuppressionStatus, type VexJustification } from './suppression.js';

// The API's fields and sizes, so that a file that passes here is not refused there; but the
// id is required and an expiry may be a bare date.
export const IgnoreFileEntry = Type.Object(
  {
    ...SuppressionBody.properties,
    id: Type.String({ pattern: SUPPRESSION_ID_PATTERN }),
    expiresAt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);
export type IgnoreFileEntry = Static<typeof IgnoreFileEntry>;

export const IgnoreFile = Type.Object({ suppressions: Type.Array(Type.Unknown(), { maxItems: 10_000 }) }, { additionalProperties: false });

/** An entry of an ignore file, read and checked. */
export interface IgnoreEntry {
  id: string;
  vulnerability: string;
  package: string | null;
  configId: string | null;
  repository: string | null;
  tag: string | null;
  status: SuppressionStatus;
  justification: VexJustification | null;
  reason: string;
  expiresAt: Date | null;
}

/** What is wrong with a file, naming the entry (by position and id) and field. */
export class IgnoreFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgnoreFileError';
  }
}

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const DATE_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/**
 * Reads an ignore file (YAML, in the spirit of `.trivyignore.yaml`): a `suppressions` list
 * of entries with the API's fields and an id each. A date without a time expires at the
 * start of that day, UTC.
 */
export function parseIgnoreFile(text: string): IgnoreEntry[] {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: false, maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof YAMLParseError) throw new IgnoreFileError(`not valid YAML: ${err.message.split('\n')[0] ?? ''}`);
    throw err;
  }
  if (!Value.Check(IgnoreFile, document)) throw new IgnoreFileError('must be a mapping with a "suppressions" list (and nothing else)');
  const seen = new Set<string>();
  return document.suppressions.map((raw, index) => {
    const at = `entry ${index + 1}`;
    if (!Value.Check(IgnoreFileEntry, raw)) {
      const error = Value.Errors(IgnoreFileEntry, raw)[0];
      const field = error?.instancePath.replace(/^\//, '') || 'the entry';
      throw new IgnoreFileError(`${at}${idOf(raw)}: ${field} ${error?.message ?? 'is not valid'}`);
    }
    if (seen.has(raw.id)) throw new IgnoreFileError(`${at}: id ${raw.id} is used twice`);
    seen.add(raw.id);
    const justification = raw.justification ?? null;
    if (justification !== null && raw.status !== 'not_affected') throw new IgnoreFileError(`${at} (${raw.id}): justification is only for status not_affected`);
    return {
      id: raw.id,
      vulnerability: raw.vulnerability,
      package: raw.package ?? null,
      configId: raw.configId ?? null,
      repository: raw.repository ?? null,
      tag: raw.tag ?? null,
      status: raw.status,
      justification,
      reason: raw.reason,
      expiresAt: expiryOf(raw.expiresAt ?? null, `${at} (${raw.id})`),
    };
  });
}

function idOf(raw: unknown): string {
  const id: unknown = raw && typeof raw === 'object' ? Reflect.get(raw, 'id') : undefined;
  return typeof id === 'string' ? ` (${id.slice(0, 64)})` : '';
}

function expiryOf(value: string | null, at: string): Date | null {
  if (value === null) return null;
  const text = DATE.test(value) ? `${value}T00:00:00Z` : value;
  const date = new Date(text);
  if (!DATE_TIME.test(text) || Number.isNaN(date.getTime())) throw new IgnoreFileError(`${at}: expiresAt must be a date (2027-01-31) or date-time, got "${value.slice(0, 40)}"`);
  return date;
}
