import { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { SEVERITIES } from '../../domain/severity.js';
import { FindingsRepresentation } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable, terminalWidth } from '../table.js';
import { resolveConfigId } from './configs-command.js';

type Finding = Static<typeof FindingsRepresentation>['findings'][number];

export const FINDINGS_HELP = `Usage:
  ecrscan findings ID [--severity LIST] [--status STATUS] [--kev] [--fixable]
                      [--min-epss N] [--sort risk] [--json]
      the findings of a configuration, most severe first

Options:
  --severity LIST    only these severities, comma-separated, any case
                     (critical,high)
  --status STATUS    active (default), suppressed, fixed or all
  --kev              only findings CISA's KEV catalogue lists as exploited
  --fixable          only findings with a fixed version
  --min-epss N       only findings with an EPSS score of at least N (0 to 1)
  --sort risk        KEV first, then EPSS score x severity (default: severity)
  --json             the findings as JSON, every field in full
  --url URL          the server (or ECRSCANAPI_URL)`;

const STATUSES = ['active', 'suppressed', 'fixed', 'all'];

export const FINDINGS_FLAGS = {
  kev: { type: 'boolean' },
  fixable: { type: 'boolean' },
  'min-epss': { type: 'string' },
  sort: { type: 'string' },
} as const;
const PAGE_SIZE = 1000;
/** A bound on what one command reads: 100 pages of 1000. */
const MAX_PAGES = 100;

export interface FindingsOptions {
  severity: string | undefined;
  status: string | undefined;
  json: boolean;
  kev?: boolean;
  fixable?: boolean;
  minEpss?: string | undefined;
  sort?: string | undefined;
}

export async function findingsCommand(client: ApiClient, args: string[], options: FindingsOptions, out: (text: string) => void): Promise<void> {
  const [target, ...rest] = args;
  if (!target) throw new CliError(`findings needs the ID of a configuration\n${FINDINGS_HELP}`, 2);
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"\n${FINDINGS_HELP}`, 2);
  const query = new URLSearchParams({ format: 'json', limit: String(PAGE_SIZE) });
  if (options.severity !== undefined) query.set('severity', checkedSeverities(options.severity));
  if (options.status !== undefined) {
    if (!STATUSES.includes(options.status)) throw new CliError(`--status must be one of ${STATUSES.join(', ')}, got "${options.status}"`, 2);
    query.set('status', options.status);
  }
  if (options.kev) query.set('kev', 'true');
  if (options.fixable) query.set('fixable', 'true');
  if (options.minEpss !== undefined) query.set('minEpss', checkedMinEpss(options.minEpss));
  if (options.sort !== undefined) {
    if (options.sort !== 'risk' && options.sort !== 'severity') throw new CliError(`--sort takes risk or severity, got "${options.sort}"`, 2);
    if (options.sort === 'risk') query.set('sort', 'risk');
  }
  const id = await resolveConfigId(client, target);
  const findings = await readAllFindings(client, id, query);
  if (options.json) return out(JSON.stringify({ findings }, null, 2));
  if (findings.length === 0) return out(`no ${options.status === 'all' ? '' : `${options.status ?? 'active'} `}findings`);
  const withStatus = options.status === 'all';
  // KEV and EPSS columns only when the server has such data: a table without it keeps its room.
  const withKev = findings.some((finding) => finding.kev !== null);
  const withEpss = findings.some((finding) => finding.epss !== null);
  const header = ['SEVERITY', 'NAME', ...(withKev ? ['KEV'] : []), ...(withEpss ? ['EPSS'] : []), 'PACKAGE', 'VERSION', 'FIXED IN', 'TAG', ...(withStatus ? ['STATUS'] : [])];
  // A repository glob's findings span repositories: then the tag column names the image's.
  const several = new Set(findings.map((finding) => finding.repository)).size > 1;
  // The server's risk order is the point of --sort risk: kept as it came.
  const ordered = options.sort === 'risk' ? findings : sortBySeverity(findings);
  const rows = ordered.map((finding) => [
    finding.severitySource === 'nvd' ? `${finding.severity} (NVD)` : finding.severity,
    finding.name,
    ...(withKev ? [finding.kev ? 'KEV' : '-'] : []),
    ...(withEpss ? [finding.epss ? finding.epss.score.toFixed(3) : '-'] : []),
    finding.package ?? '-',
    finding.version ?? '-',
    finding.fixedVersion ?? '-',
    several ? `${finding.repository}:${finding.tag}` : finding.tag,
    ...(withStatus ? [finding.status] : []),
  ]);
  const first = 2 + (withKev ? 1 : 0) + (withEpss ? 1 : 0);
  out(formatTable(header, rows, { width: terminalWidth(), shrink: [first, first + 1, first + 2, first + 3] }));
  out(`\n${findings.length} finding${findings.length === 1 ? '' : 's'}`);
}

/** `--min-epss`, as the API's `minEpss`: a probability. */
export function checkedMinEpss(raw: string): string {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new CliError(`--min-epss takes a number from 0 to 1, got "${raw}"`, 2);
  return String(value);
}

function checkedSeverities(raw: string): string {
  const wanted = raw.split(',').map((item) => item.trim().toUpperCase());
  const unknown = wanted.find((item) => !(SEVERITIES as readonly string[]).includes(item));
  if (unknown !== undefined) throw new CliError(`--severity takes ${SEVERITIES.join(', ')} (any case, comma-separated), got "${unknown}"`, 2);
  return wanted.join(',');
}

/** Every page of a configuration's findings for `query` (at most MAX_PAGES). */
export async function readAllFindings(client: ApiClient, id: string, query: URLSearchParams): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { body } = await client.request('GET', `/findings/${encodeURIComponent(id)}?${query.toString()}`);
    if (!Value.Check(FindingsRepresentation, body)) throw new CliError('the server answered with unexpected findings');
    findings.push(...body.findings);
    if (body.next === null) return findings;
    query.set('after', body.next);
  }
  return findings;
}

function sortBySeverity(findings: Finding[]): Finding[] {
  const rank = (finding: Finding): number => SEVERITIES.indexOf(finding.severity);
  return [...findings].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.tag.localeCompare(b.tag));
}
