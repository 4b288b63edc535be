import type { StoredFinding } from '../domain/finding.js';
import { carriesFindings } from '../domain/image.js';
import { type ConfigState, DEFAULT_PLATFORM, type ScanConfig, splitImageKey } from '../domain/scan-config.js';
import { SEVERITIES, type Severity, type SeverityCounts, compactCounts, zeroCounts } from '../domain/severity.js';
import type { SummaryConfig } from '../store/store.js';

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/**
 * The demo's fields first, unchanged in name and type, then this service's additions (SPEC §1).
 * `advisoryWarnings` (stale advisory data) are shown on each image of a built-in configuration
 * whose findings came from matching that data.
 */
export function configJson(config: ConfigState, defaultSchedule: string, advisoryWarnings: readonly string[] = []) {
  const warned = config.scanner === 'builtin' && advisoryWarnings.length > 0;
  return {
    id: config.id,
    created: String(Math.floor(config.created.getTime() / 1000)),
    region: config.region,
    registry: config.registry,
    repository: config.repository,
    tags: config.tags,
    schedule: config.schedule ?? defaultSchedule,
    scanner: config.scanner,
    // The effective platform, so that users see what is scanned rather than null.
    platform: config.platform ?? DEFAULT_PLATFORM,
    newest: config.newest ?? null,
    pushedWithin: config.pushedWithin ?? null,
    exclude: config.exclude ?? null,
    status: config.status,
    lastScan: iso(config.lastScan),
    nextScan: iso(config.nextScan),
    lastError: config.lastError,
    progress: config.progress,
    createdBy: config.createdBy,
    images: config.images.map((image) => {
      const shown = { ...splitImageKey(config, image.tag), digest: image.digest, status: image.status, error: image.error };
      return warned && carriesFindings(image.status) ? { ...shown, warnings: [...advisoryWarnings] } : shown;
    }),
  };
}

/** `repository` and `tag` of a finding's image, whose stored key is `repository:tag` for a repository glob. */
export function findingJson(finding: StoredFinding, config: Pick<ScanConfig, 'repository'>) {
  const { repository, tag } = splitImageKey(config, finding.tag);
  return {
    repository,
    name: finding.name,
    severity: finding.severity,
    package: finding.package,
    version: finding.version,
    fixedVersion: finding.fixedVersion,
    uri: finding.uri,
    description: finding.description,
    cvss: finding.cvss,
    severitySource: finding.severitySource,
    kev: finding.kev,
    epss: finding.epss,
    aliases: finding.aliases,
    path: finding.path,
    tag,
    digest: finding.digest,
    firstSeen: finding.firstSeen.toISOString(),
    lastSeen: finding.lastSeen.toISOString(),
    fixedAt: iso(finding.fixedAt),
    status: finding.status,
    suppression: finding.suppression ? { ...finding.suppression, expiresAt: iso(finding.suppression.expiresAt) } : null,
  };
}

/** The findings of these images added up by severity, every severity present. */
export function imageTotals(images: SummaryConfig['images'], totals: Record<Severity, number> = zeroCounts()): Record<Severity, number> {
  for (const image of images) {
    for (const severity of SEVERITIES) totals[severity] += image.counts[severity] ?? 0;
  }
  return totals;
}

export function summaryJson(configs: SummaryConfig[], generatedAt: Date) {
  const totals = zeroCounts();
  for (const config of configs) imageTotals(config.images, totals);
  return {
    generatedAt: generatedAt.toISOString(),
    totals: compactCounts(totals),
    configs: configs.map((config) => ({
      id: config.id,
      region: config.region,
      registry: config.registry,
      repository: config.repository,
      status: config.status,
      lastScan: iso(config.lastScan),
      lastError: config.lastError,
      images: config.images.map((image) => ({
        ...splitImageKey(config, image.tag),
        digest: image.digest,
        status: image.status,
        scannedAt: iso(image.scannedAt),
        counts: image.counts,
        kev: image.kev,
        fixable: image.fixable,
        error: image.error,
      })),
    })),
  };
}

/** Where a configuration lives, as the demo printed it: the region for ECR, else the registry host. */
export function locationOf(config: SummaryConfig): string {
  return config.region ?? config.registry;
}

/**
 * The demo's text layout: one block per image, severities in fixed order, zeros left
 * out; a failed image shows its error, an image not scanned yet says so.
 */
export function summaryText(configs: SummaryConfig[]): string {
  const blocks: string[] = [];
  for (const config of configs) {
    if (config.images.length === 0) {
      const state = config.lastError ? ` scan failed: ${oneLine(config.lastError)}` : config.lastScan ? ' no images found' : ' not scanned yet';
      blocks.push(`Results for ${config.repository} in ${locationOf(config)}:\n${state}\n`);
      continue;
    }
    for (const image of config.images) {
      const { repository, tag } = splitImageKey(config, image.tag);
      blocks.push(`Results for ${repository}:${tag} in ${locationOf(config)}:\n${imageLines(image)}`);
    }
  }
  return blocks.join('\n');
}

function imageLines(image: SummaryConfig['images'][number]): string {
  if (image.status === 'PENDING') return ' not scanned yet\n';
  if (image.status === 'NO_ADVISORY_SOURCE') return `${countLines(image.counts)} ${image.status}: ${oneLine(image.error ?? 'no advisory source')}\n`;
  if (image.status !== 'COMPLETE') return ` ${image.status}: ${oneLine(image.error ?? 'scan did not complete')}\n`;
  return countLines(image.counts);
}

/** The demo's count lines: severities in fixed order, zeros left out. */
export function countLines(counts: SeverityCounts): string {
  return SEVERITIES.filter((severity: Severity) => (counts[severity] ?? 0) > 0)
    .map((severity) => ` ${severity}: ${counts[severity]}\n`)
    .join('');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
