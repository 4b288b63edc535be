import type { Selectable } from 'kysely';
import type { Finding } from '../domain/finding.js';
import type { ImageState, ImageStatus } from '../domain/image.js';
import type { ConfigImageStatus, ConfigState, ConfigStatus, ScanConfig, ScannerId } from '../domain/scan-config.js';
import { compactCounts, type Severity } from '../domain/severity.js';
import type { ConfigsTable, FindingsTable, ImagesTable } from './tables.js';

export function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(Number(ms));
}

export function toScanConfig(row: Selectable<ConfigsTable>): ScanConfig {
  return {
    id: row.id,
    created: new Date(Number(row.created_at)),
    region: row.region,
    registry: row.registry,
    repository: row.repository,
    tags: row.tags === null ? null : (JSON.parse(row.tags) as string[]),
    schedule: row.schedule,
    scanner: row.scanner as ScannerId,
    platform: row.platform,
    newest: row.newest === null ? null : Number(row.newest),
    pushedWithin: row.pushed_within,
    exclude: row.exclude === null ? null : (JSON.parse(row.exclude) as string[]),
  };
}

export function toConfigState(row: Selectable<ConfigsTable>, images: ConfigImageStatus[]): ConfigState {
  return {
    ...toScanConfig(row),
    createdBy: row.created_by,
    status: row.status as ConfigStatus,
    lastScan: toDate(row.last_scan_at),
    nextScan: toDate(row.next_scan_at),
    lastError: row.last_error,
    progress:
      row.status === 'SCANNING' && row.progress_total !== null
        ? { done: Number(row.progress_done ?? 0), total: Number(row.progress_total) }
        : null,
    revision: Number(row.revision),
    images,
  };
}

export function toImageState(row: Selectable<ImagesTable>): ImageState {
  return {
    tag: row.tag,
    digest: row.digest,
    status: row.status as ImageStatus,
    scannedAt: toDate(row.scanned_at),
    error: row.error,
    scanner: row.scanner,
    counts: compactCounts({
      CRITICAL: Number(row.critical),
      HIGH: Number(row.high),
      MEDIUM: Number(row.medium),
      LOW: Number(row.low),
      INFORMATIONAL: Number(row.informational),
      UNDEFINED: Number(row.undefined),
    }),
    kev: Number(row.kev),
    fixable: Number(row.fixable),
  };
}

type FindingColumns = Pick<
  Selectable<FindingsTable>,
  'name' | 'severity' | 'package' | 'version' | 'fixed_version' | 'uri' | 'cvss_score' | 'cvss_vector' | 'aliases' | 'path'
>;

/** A finding as scanners report it, from its stored row (the description where it was read). */
export function toFinding(row: FindingColumns & { description?: string | null }): Finding {
  return {
    name: row.name,
    severity: row.severity as Severity,
    package: row.package === '' ? null : row.package,
    version: row.version,
    fixedVersion: row.fixed_version,
    uri: row.uri,
    description: row.description ?? null,
    cvss: row.cvss_score === null && row.cvss_vector === null ? null : { score: row.cvss_score, vector: row.cvss_vector },
    aliases: JSON.parse(row.aliases) as string[],
    path: row.path,
  };
}
