import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { SuppressionRepresentation } from '../../http/suppression-schemas.js';
import { parseIgnoreFile, type IgnoreEntry, IgnoreFileError } from '../../triage/ignore-file.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable } from '../table.js';

const SuppressionList = Type.Array(SuppressionRepresentation);
type SuppressionRepresentation = Static<typeof SuppressionRepresentation>;

export const SUPPRESSIONS_HELP = `Usage:
  ecrscan suppressions list [--json]      list suppressions, active and expired
  ecrscan suppressions apply FILE         create or change the suppressions in FILE (YAML), by id
  ecrscan suppressions rm ID              remove a suppression: its findings count again

FILE lists entries under "suppressions", each with an id (kept in git, it makes apply
idempotent), a vulnerability, a status, a reason and optionally package, configId,
repository and tag globs, justification and expiresAt (a date or date-time). Entries
already past their expiry are left as they are. Suppressions not in FILE are kept.
Options: --url URL (or ECRSCANAPI_URL), --json`;

export async function suppressionsCommand(client: ApiClient, args: string[], json: boolean, out: (text: string) => void, now: () => Date = () => new Date()): Promise<void> {
  const [action, target, ...rest] = args;
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"\n${SUPPRESSIONS_HELP}`, 2);
  switch (action) {
    case 'list':
    case 'ls':
      return listSuppressions(client, json, out);
    case 'apply':
      if (!target) throw new CliError('suppressions apply needs a YAML FILE', 2);
      return applyFile(client, target, now(), out);
    case 'rm':
    case 'delete':
      if (!target) throw new CliError('suppressions rm needs the ID of a suppression', 2);
      await client.request('DELETE', `/suppressions/${encodeURIComponent(target)}`);
      out(`removed ${target}`);
      return;
    default:
      throw new CliError(action ? `unknown suppressions action "${action}"\n${SUPPRESSIONS_HELP}` : SUPPRESSIONS_HELP, 2);
  }
}

async function fetchAll(client: ApiClient): Promise<{ list: SuppressionRepresentation[]; text: string }> {
  const { body, text } = await client.request('GET', '/suppressions/');
  if (!Value.Check(SuppressionList, body)) throw new CliError('the server answered with an unexpected suppression list');
  return { list: body, text };
}

async function listSuppressions(client: ApiClient, json: boolean, out: (text: string) => void): Promise<void> {
  const { list, text } = await fetchAll(client);
  if (json) return out(text);
  if (list.length === 0) return out('no suppressions; add some with "ecrscan suppressions apply FILE"');
  out(formatTable(['ID', 'VULNERABILITY', 'SCOPE', 'STATUS', 'EXPIRES', 'STATE', 'REASON'], list.map(row)));
}

function row(suppression: SuppressionRepresentation): string[] {
  const scope = [
    suppression.package === null ? null : `package ${suppression.package}`,
    suppression.configId === null ? null : `config ${suppression.configId}`,
    suppression.repository === null ? null : `repository ${suppression.repository}`,
    suppression.tag === null ? null : `tag ${suppression.tag}`,
  ].filter((part): part is string => part !== null);
  const status = suppression.justification ? `${suppression.status} (${suppression.justification})` : suppression.status;
  const reason = suppression.reason.length > 60 ? `${suppression.reason.slice(0, 57)}...` : suppression.reason;
  return [suppression.id, suppression.vulnerability, scope.join(', ') || 'everywhere', status, suppression.expiresAt ?? 'never', suppression.state, reason];
}

/** The fields the server compares and stores, from a file entry. */
function fieldsOf(entry: IgnoreEntry) {
  return {
    vulnerability: entry.vulnerability,
    package: entry.package,
    configId: entry.configId,
    repository: entry.repository,
    tag: entry.tag,
    status: entry.status,
    justification: entry.justification,
    reason: entry.reason,
    expiresAt: entry.expiresAt?.toISOString() ?? null,
  };
}

function differs(stored: SuppressionRepresentation, wanted: ReturnType<typeof fieldsOf>): boolean {
  return (Object.keys(wanted) as Array<keyof typeof wanted>).some((key) => stored[key] !== wanted[key]);
}

/** Every entry checked before any is sent; then each created, changed or left as it is. */
async function applyFile(client: ApiClient, file: string, now: Date, out: (text: string) => void): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let entries: IgnoreEntry[];
  try {
    entries = parseIgnoreFile(text);
  } catch (err) {
    if (err instanceof IgnoreFileError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
  const stored = new Map((await fetchAll(client)).list.map((suppression) => [suppression.id, suppression]));
  const counts = { created: 0, updated: 0, unchanged: 0, expired: 0 };
  for (const entry of entries) {
    const before = stored.get(entry.id);
    const wanted = fieldsOf(entry);
    if (entry.expiresAt !== null && entry.expiresAt.getTime() <= now.getTime() && (!before || !differs(before, wanted))) {
      counts.expired++;
      continue;
    }
    if (!before) {
      await client.request('POST', '/suppressions/', { body: { id: entry.id, ...wanted } });
      counts.created++;
    } else if (differs(before, wanted)) {
      await client.request('PATCH', `/suppressions/${encodeURIComponent(entry.id)}`, { body: wanted });
      counts.updated++;
    } else {
      counts.unchanged++;
    }
  }
  out(`${counts.created} created, ${counts.updated} changed, ${counts.unchanged} unchanged${counts.expired > 0 ? `, ${counts.expired} past their expiry left as they are` : ''}`);
}
