import type { Finding } from '../../domain/finding.js';
import { SEVERITIES } from '../../domain/severity.js';
import { findingsCsv } from '../../exports/csv-findings.js';
import type { ExportTool } from '../../exports/export-inputs.js';
import { sarifLog } from '../../exports/sarif-log.js';
import { spdxSbom } from '../../exports/spdx-sbom.js';
import { formatTable, terminalWidth } from '../table.js';
import type { LocalScanResult } from './local-scan.js';

export const IMAGE_FORMATS = ['table', 'json', 'sarif', 'cyclonedx', 'spdx', 'csv'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** A scan's result with the findings the user asked for (severities, fixed only). */
export interface ImageReport extends Omit<LocalScanResult, 'cached'> {
  findings: Finding[];
}

/** The report in the format asked for, ending with a newline. */
export async function renderImageReport(format: ImageFormat, report: ImageReport, tool: ExportTool): Promise<string> {
  const images = [{ image: report.image, findings: report.findings }];
  switch (format) {
    case 'table':
      return tableOf(report);
    case 'json':
      return `${JSON.stringify(jsonOf(report), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(sarifLog(images, tool), null, 2)}\n`;
    case 'cyclonedx': {
      // CycloneDX's library is loaded only for a CycloneDX report: it is most of the CLI's start-up otherwise.
      const { cycloneDxSbom } = await import('../../exports/cyclonedx-sbom.js');
      return `${cycloneDxSbom({ image: report.image, inventory: report.inventory, tool, created: new Date() })}\n`;
    }
    case 'spdx':
      return `${JSON.stringify(spdxSbom({ image: report.image, inventory: report.inventory, tool, created: new Date() }), null, 2)}\n`;
    case 'csv':
      return findingsCsv(images);
  }
}

function jsonOf(report: ImageReport): unknown {
  return {
    image: report.image,
    os: report.inventory.os,
    packages: report.inventory.packages.length,
    status: report.outcome.status,
    error: report.outcome.error,
    unsettledPaths: report.outcome.unsettledPaths ?? [],
    findings: sortBySeverity(report.findings),
  };
}

function tableOf(report: ImageReport): string {
  const lines = [`${report.image.name} (${report.image.digest})`];
  const os = report.inventory.os;
  lines.push(`${os ? (os.prettyName ?? `${os.id} ${os.versionId ?? ''}`.trim()) : 'no operating system identified'}, ${report.inventory.packages.length} packages`);
  if (report.outcome.error) lines.push(`warning: ${report.outcome.error}`);
  if (report.outcome.unsettledPaths?.length) lines.push(`warning: packages not established from ${report.outcome.unsettledPaths.join(', ')}`);
  lines.push('');
  if (report.findings.length === 0) {
    lines.push('no findings');
    return `${lines.join('\n')}\n`;
  }
  const rows = sortBySeverity(report.findings).map((finding) => [finding.severity, finding.name, finding.package ?? '-', finding.version ?? '-', finding.fixedVersion ?? '-']);
  lines.push(formatTable(['SEVERITY', 'NAME', 'PACKAGE', 'VERSION', 'FIXED IN'], rows, { width: terminalWidth(), shrink: [2, 3, 4] }));
  const counts = SEVERITIES.map((severity) => [severity, report.findings.filter((finding) => finding.severity === severity).length] as const).filter(([, n]) => n > 0);
  lines.push('', `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}: ${counts.map(([severity, n]) => `${severity} ${n}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function sortBySeverity(findings: readonly Finding[]): Finding[] {
  const rank = (finding: Finding): number => SEVERITIES.indexOf(finding.severity);
  return [...findings].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || (a.package ?? '').localeCompare(b.package ?? ''));
}
