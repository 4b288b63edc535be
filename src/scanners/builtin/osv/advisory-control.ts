import type { Logger } from 'pino';
import type { Clock } from '../../../clock.js';
import type { AdvisoryDb } from './advisory-store.js';
import { type AdvisoryStatus, readAdvisoryStatus, readFreshness, type SourceFreshness } from './advisory-status.js';
import { importOsvSources, type SourceOutcome } from './osv-importer.js';

/** What the API offers of the advisory data: its state, and an import now. */
export interface AdvisoryControl {
  status(): Promise<AdvisoryStatus>;
  /** How current each source is, without counting records: for metrics and readiness. */
  freshness(): Promise<SourceFreshness[]>;
  /** Imports every configured source now (after an import in progress); null when none is configured. */
  importNow(): Promise<SourceOutcome[]> | null;
}

export interface AdvisoryControlOptions {
  db: AdvisoryDb;
  /** `ECRSCAN_OSV_SOURCES`. */
  sources: readonly string[];
  maxAgeMs: number;
  clock: Clock;
  dataDir: string;
  /** The running refresh's import, when this process runs one; else the import runs here. */
  refreshNow?: () => Promise<SourceOutcome[]> | null;
  log?: Pick<Logger, 'info' | 'warn'>;
}

export function createAdvisoryControl(options: AdvisoryControlOptions): AdvisoryControl {
  const { db, sources, maxAgeMs, clock } = options;
  return {
    status: () => readAdvisoryStatus(db, sources, clock.now(), maxAgeMs),
    freshness: () => readFreshness(db, sources, clock.now(), maxAgeMs),
    importNow() {
      if (sources.length === 0) return null;
      // An API-only process imports itself; the scheduler processes re-match from the recorded changes.
      return options.refreshNow?.() ?? importOsvSources(db, sources, { dataDir: options.dataDir, log: options.log, now: () => clock.now().getTime() });
    },
  };
}
