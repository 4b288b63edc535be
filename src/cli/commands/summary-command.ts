import { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { SEVERITIES } from '../../domain/severity.js';
import { SummaryRepresentation } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable, terminalWidth } from '../table.js';

type Summary = Static<typeof SummaryRepresentation>;

export const SUMMARY_HELP = `Usage:
  ecrscan summary [--json | --text]   open findings by severity for every image

Options:
  --url URL   the server (or ECRSCANAPI_URL)
  --json      the API's JSON, with error texts in full
  --text      the original demo's text layout`;

const SHORT: Record<(typeof SEVERITIES)[number], string> = {
  CRITICAL: 'CRIT',
  HIGH: 'HIGH',
  MEDIUM: 'MED',
  LOW: 'LOW',
  INFORMATIONAL: 'INFO',
  UNDEFINED: 'UNDEF',
};

export async function summaryCommand(client: ApiClient, format: 'table' | 'json' | 'text', out: (text: string) => void): Promise<void> {
  if (format === 'text') {
    out((await client.request('GET', '/summary/', { accept: 'text/plain' })).text.trimEnd());
    return;
  }
  const { body, text } = await client.request('GET', '/summary/');
  if (format === 'json') return out(text);
  if (!Value.Check(SummaryRepresentation, body)) throw new CliError('the server answered with an unexpected summary');
  out(renderTable(body));
}

function renderTable(summary: Summary): string {
  const rows: string[][] = [];
  for (const config of summary.configs) {
    const where = config.region ?? config.registry;
    // The CLI asks for the whole summary, which always lists images.
    const images = config.images ?? [];
    if (images.length === 0) {
      rows.push([config.repository, '-', where, config.lastError ? `FAILED: ${config.lastError}` : config.status, ...SEVERITIES.map(() => '')]);
      continue;
    }
    for (const image of images) {
      const state = image.status === 'COMPLETE' ? 'COMPLETE' : `${image.status}${image.error ? `: ${image.error}` : ''}`;
      rows.push([image.repository, image.tag, where, state, ...SEVERITIES.map((severity) => String(image.counts[severity] ?? 0))]);
    }
  }
  const warnings = (summary.warnings ?? []).map((warning) => `\nWARNING: ${warning}`).join('');
  if (rows.length === 0) return `no scan configurations yet${warnings}`;
  // Totals as the last row, under their columns: one line of six named counts would not fit 80 columns.
  rows.push(['TOTAL', '', '', '', ...SEVERITIES.map((severity) => String(summary.totals[severity] ?? 0))]);
  const header = ['REPOSITORY', 'TAG', 'WHERE', 'STATUS', ...SEVERITIES.map((severity) => SHORT[severity])];
  return `${formatTable(header, rows, { width: terminalWidth(), shrink: [3, 2, 0, 1] })}${warnings}`;
}
