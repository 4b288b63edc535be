import { Value } from 'typebox/value';
import { SEVERITIES, type Severity } from '../../domain/severity.js';
import { ConfigRepresentation } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable, terminalWidth } from '../table.js';
import { resolveConfigId } from './configs-command.js';
import { readAllFindings } from './findings-command.js';

export const CHECK_HELP = `Usage:
  ecrscan check ID --fail-on SEVERITY
      a pipeline gate on a configuration's continuous results: fails when an
      open finding of SEVERITY or worse is there (CRITICAL, HIGH, MEDIUM, LOW,
      INFORMATIONAL, UNDEFINED; any case); suppressed findings do not count

Exit codes: 0 none; 1 open findings at or above SEVERITY; 2 usage errors;
3 when the results cannot be judged (never scanned, the last scan failed or
left images out, the server cannot be reached).

Options: --url URL (or ECRSCANAPI_URL)`;

export const CHECK_FLAGS = { 'fail-on': { type: 'string' } } as const;

const FINDINGS_EXIT = 1;
const UNJUDGED_EXIT = 3;

export async function checkCommand(client: ApiClient, args: string[], failOn: string | undefined, out: (text: string) => void): Promise<void> {
  const [given, ...rest] = args;
  if (!given) throw new CliError('check needs the ID of a configuration (run "ecrscan check --help" for usage)', 2);
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}" (run "ecrscan check --help" for usage)`, 2);
  if (failOn === undefined) throw new CliError(`check needs --fail-on SEVERITY (${SEVERITIES.join(', ')})`, 2);
  const threshold = failOn.trim().toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(threshold)) throw new CliError(`--fail-on takes ${SEVERITIES.join(', ')} (any case), got "${failOn}"`, 2);
  const gating = SEVERITIES.slice(0, SEVERITIES.indexOf(threshold as Severity) + 1);
  let failing: string | null;
  try {
    failing = await judge(client, given, gating, out);
  } catch (err) {
    // A gate that cannot read the results must not be mistaken for one that found something.
    if (err instanceof CliError && err.exitCode === 1) throw new CliError(err.message, UNJUDGED_EXIT);
    throw err;
  }
  if (failing !== null) throw new CliError(failing, FINDINGS_EXIT);
}

/** What makes the gate fail, or null when it passes; throws when the results cannot be judged. */
async function judge(client: ApiClient, given: string, gating: readonly Severity[], out: (text: string) => void): Promise<string | null> {
  const id = await resolveConfigId(client, given);
  const { body } = await client.request('GET', `/configs/${encodeURIComponent(id)}`);
  if (!Value.Check(ConfigRepresentation, body)) throw new CliError('the server answered with an unexpected configuration', UNJUDGED_EXIT);
  if (body.lastScan === null) throw new CliError(`configuration ${id} has not been scanned yet (${body.status})`, UNJUDGED_EXIT);
  const query = new URLSearchParams({ format: 'json', limit: '1000', status: 'active', severity: gating.join(',') });
  const findings = await readAllFindings(client, id, query);
  const label = `${body.registry}/${body.repository}`;
  if (findings.length > 0) {
    const rows = findings.map((finding) => [finding.severity, finding.name, finding.package ?? '-', finding.version ?? '-', finding.fixedVersion ?? '-', finding.tag]);
    out(formatTable(['SEVERITY', 'NAME', 'PACKAGE', 'VERSION', 'FIXED IN', 'TAG'], rows, { width: terminalWidth(), shrink: [2, 3, 4, 5] }));
    return `${label}: ${findings.length} open finding${findings.length === 1 ? '' : 's'} at ${gating.join(', ')}`;
  }
  if (body.status === 'FAILED' || body.status === 'PARTIAL') throw new CliError(`${label}: the last scan ended ${body.status}: ${body.lastError ?? 'no reason given'}`, UNJUDGED_EXIT);
  out(`${label}: no open findings at ${gating.join(', ')} (last scan ${body.lastScan})`);
  return null;
}
