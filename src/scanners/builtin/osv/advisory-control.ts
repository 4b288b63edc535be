import type { Logger } from 'pino';
import type { Clock } from '../../../clock.js';
import { importPrioritisationSources, type PrioritisationOutcome, type PrioritisationSource } from '../../../prioritisation/prioritisation-import.js';
import { type PrioritisationSourceStatus, readPrioritisationStatus } from '../../../prioritisation/prioritisation-status.js';
import type { AdvisoryDb } from './advisory-store.js';
import { type AdvisoryStatus, readAdvisoryStatus, readFreshness, type SourceFreshness } from './advisory-status.js';
import { importOsvSources, type SourceOutcome } from './osv-importer.js';

/** What the API offers of the advisory data: its state, and an import now. */
export interface AdvisoryControl {
  /** The OSV sources, and the prioritisation sources (KEV, EPSS, NVD) as `enrichment`. */
  status(): Promise<AdvisoryStatus & { enrichment: PrioritisationSourceStatus[] }>;
  /** How current each source is, without counting records: for metrics and readiness. */
  freshness(): Promise<SourceFreshness[]>;
  /** Imports every configured source now (after an import in progress); null when none is configured. */
  importNow(): Promise<{ osv: SourceOutcome[]; enrichment: PrioritisationOutcome[] }> | null;
}

export interface AdvisoryControlOptions {
  db: AdvisoryDb;
  /** `ECRSCAN_OSV_SOURCES`. */
  sources: readonly string[];
  /** `ECRSCAN_KEV_SOURCE`, `ECRSCAN_EPSS_SOURCE`, `ECRSCAN_NVD_SOURCES`. */
  prioritisation?: readonly PrioritisationSource[];
  maxAgeMs: number;
  clock: Clock;
  dataDir: string;
  /** The running refresh's import, when this process runs one; else the import runs here. */
  refreshNow?: () => Promise<SourceOutcome[]> | null;
  /** The running prioritisation refresh's import, when this process runs one. */
  refreshPrioritisationNow?: () => Promise<PrioritisationOutcome[]> | null;
  log?: Pick<Logger, 'info' | 'warn'>;
}

export function createAdvisoryControl(options: AdvisoryControlOptions): AdvisoryControl {
  const { db, sources, maxAgeMs, clock } = options;
  const prioritisation = options.prioritisation ?? [];
  const enrichmentStatus = () => readPrioritisationStatus(db, prioritisation, clock.now(), maxAgeMs);
  const importOsv = (): Promise<SourceOutcome[]> => {
    if (sources.length === 0) return Promise.resolve([]);
    // An API-only process imports itself; the scheduler processes re-match from the recorded changes.
    return options.refreshNow?.() ?? importOsvSources(db, sources, { dataDir: options.dataDir, log: options.log, now: () => clock.now().getTime() });
  };
  const importEnrichment = (): Promise<PrioritisationOutcome[]> =>
    options.refreshPrioritisationNow?.() ?? importPrioritisationSources(db, prioritisation, { log: options.log, now: () => clock.now().getTime() });
  return {
    status: async () => ({ ...(await readAdvisoryStatus(db, sources, clock.now(), maxAgeMs)), enrichment: await enrichmentStatus() }),
    freshness: async () => [
      ...(await readFreshness(db, sources, clock.now(), maxAgeMs)),
      ...(await enrichmentStatus()).map(({ source, lastImport, ageSeconds, stale }) => ({ source, lastImport, ageSeconds, stale })),
    ],
    importNow() {
      if (sources.length === 0 && prioritisation.length === 0) return null;
      return (async () => {
        const osv = await importOsv();
        return { osv, enrichment: await importEnrichment() };
      })();
    },
  };
}
