import type { ImageFindings } from './export-inputs.js';

const COLUMNS = [
  'image',
  'digest',
  'severity',
  'name',
  'package',
  'version',
  'fixed_version',
  'path',
  'cvss_score',
  'cvss_vector',
  'uri',
  'description',
  'status',
  'first_seen',
  'last_seen',
] as const;

/**
 * Findings as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break
 * quoted) with a header row, one row per finding per image. A field that a spreadsheet
 * would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed
 * with `'`: descriptions come from advisory feeds and package names from images, not
 * from us. npm's scoped names (`@scope/name`) are left as they are.
 */
export function findingsCsv(images: readonly ImageFindings[]): string {
  const lines = [COLUMNS.join(',')];
  for (const { image, findings } of images) {
    for (const finding of findings) {
      const row = [
        image.name,
        image.digest ?? '',
        finding.severity,
        finding.name,
        finding.package ?? '',
        finding.version ?? '',
        finding.fixedVersion ?? '',
        finding.path ?? '',
        finding.cvss?.score === null || finding.cvss?.score === undefined ? '' : String(finding.cvss.score),
        finding.cvss?.vector ?? '',
        finding.uri ?? '',
        finding.description ?? '',
        finding.status ?? '',
        finding.firstSeen?.toISOString() ?? '',
        finding.lastSeen?.toISOString() ?? '',
      ];
      lines.push(row.map(csvField).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

const NPM_SCOPED = /^@[a-z0-9~-][a-z0-9._~-]*\/[a-z0-9._~-]+$/;

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !NPM_SCOPED.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
