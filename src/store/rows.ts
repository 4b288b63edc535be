import type { Selectable } from 'kysely';
import type { ImageState, ImageStatus } from '../domain/image.js';
import type { ConfigImageStatus, ConfigState, ConfigStatus, ScanConfig, ScannerId } from '../domain/scan-config.js';
import { compactCounts } from '../domain/severity.js';
import type { ConfigsTable, ImagesTable } from './tables.js';

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
  };
}

export function toConfigState(row: Selectable<ConfigsTable>, images: ConfigImageStatus[]): ConfigState {
  return {
    ...toScanConfig(row),
    status: row.status as ConfigStatus,
    lastScan: toDate(row.last_scan_at),
    nextScan: toDate(row.next_scan_at),
    lastError: row.last_error,
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
  };
}
