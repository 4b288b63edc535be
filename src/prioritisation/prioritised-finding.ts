import type { Cvss, EpssScore, KevListing, Prioritisation } from '../domain/finding.js';
import { isSeverity, type Severity } from '../domain/severity.js';

/**
 * A finding's prioritisation as read: its row joined to `kev_entries`, `epss_scores` and
 * `nvd_cvss` on its CVE. The advisory's own severity wins; NVD's base score stands in
 * only where the advisory has none (UNDEFINED), and then gives the CVSS too.
 */

/** The joined columns, as every query that reads findings with their prioritisation selects them. */
export const PRIORITISATION_COLUMNS = [
  'kev_entries.date_added as kev_date_added',
  'kev_entries.due_date as kev_due_date',
  'kev_entries.ransomware as kev_ransomware',
  'epss_scores.score as epss_score',
  'epss_scores.percentile as epss_percentile',
  'epss_scores.date as epss_date',
  'nvd_cvss.severity as nvd_severity',
  'nvd_cvss.score as nvd_score',
  'nvd_cvss.vector as nvd_vector',
] as const;

export interface PrioritisationRow {
  kev_date_added: string | null;
  kev_due_date: string | null;
  kev_ransomware: number | null;
  epss_score: number | null;
  epss_percentile: number | null;
  epss_date: string | null;
  nvd_severity: string | null;
  nvd_score: number | null;
  nvd_vector: string | null;
}

export interface NvdScore {
  severity: Severity;
  score: number;
  vector: string;
}

export interface PrioritisedValues extends Prioritisation {
  severity: Severity;
  cvss: Cvss | null;
}

export function kevOf(row: Pick<PrioritisationRow, 'kev_date_added' | 'kev_due_date' | 'kev_ransomware'>): KevListing | null {
  if (row.kev_date_added === null) return null;
  return { dateAdded: row.kev_date_added, dueDate: row.kev_due_date, knownRansomwareCampaignUse: Number(row.kev_ransomware) === 1 ? 'Known' : 'Unknown' };
}

export function epssOf(row: Pick<PrioritisationRow, 'epss_score' | 'epss_percentile' | 'epss_date'>): EpssScore | null {
  if (row.epss_score === null || row.epss_percentile === null) return null;
  return { score: Number(row.epss_score), percentile: Number(row.epss_percentile), date: row.epss_date };
}

export function nvdOf(row: Pick<PrioritisationRow, 'nvd_severity' | 'nvd_score' | 'nvd_vector'>): NvdScore | null {
  if (row.nvd_severity === null || row.nvd_score === null || row.nvd_vector === null || !isSeverity(row.nvd_severity)) return null;
  return { severity: row.nvd_severity, score: Number(row.nvd_score), vector: row.nvd_vector };
}

/** Severity, CVSS and their source, from the advisory's values and NVD's score for the CVE. */
export function effectiveValues(severity: Severity, cvss: Cvss | null, nvd: NvdScore | null): Pick<PrioritisedValues, 'severity' | 'cvss' | 'severitySource'> {
  if (severity !== 'UNDEFINED' || nvd === null) return { severity, cvss, severitySource: 'advisory' };
  return { severity: nvd.severity, cvss: { score: nvd.score, vector: nvd.vector }, severitySource: 'nvd' };
}

export function prioritise(severity: Severity, cvss: Cvss | null, row: PrioritisationRow): PrioritisedValues {
  return { ...effectiveValues(severity, cvss, nvdOf(row)), kev: kevOf(row), epss: epssOf(row) };
}

/**
 * EPSS moves a little for most CVEs every day: a change of score is worth an event only
 * when it enters another tenth (0.0–0.1, 0.1–0.2, …), a missing score counting as the
 * lowest, so that a daily file does not announce every finding again.
 */
export function epssBand(epss: EpssScore | null): number {
  return epss === null ? 0 : Math.min(9, Math.floor(epss.score * 10));
}
