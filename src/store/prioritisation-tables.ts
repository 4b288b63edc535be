/**
 * Row types of the prioritisation tables (migration 2026-12-11-prioritisation): CISA's
 * KEV catalogue, FIRST's EPSS scores and NVD's CVSS base scores, one row per CVE id, and
 * the state of each configured source. Times are Unix milliseconds.
 */
export interface KevEntriesTable {
  cve: string;
  /** YYYY-MM-DD, as the catalogue has it. */
  date_added: string;
  due_date: string | null;
  /** 1 when the catalogue says `knownRansomwareCampaignUse: "Known"`. */
  ransomware: number;
}

export interface EpssScoresTable {
  cve: string;
  score: number;
  percentile: number;
  /** The file's score date (YYYY-MM-DD). */
  date: string | null;
}

export interface NvdCvssTable {
  cve: string;
  /** The severity of the base score (CRITICAL … LOW, or INFORMATIONAL for 0.0). */
  severity: string;
  score: number;
  vector: string;
  /** The record's `lastModified`, so that an older copy never replaces a newer one. */
  modified: number;
  source: string;
}

export interface EnrichmentSourcesTable {
  source: string;
  kind: string;
  etag: string | null;
  last_modified: string | null;
  /** SHA-256 of the last document imported: an unchanged one is not read again. */
  sha256: string | null;
  imported_at: number | null;
  records: number;
  /** What the data says of its own date: the KEV catalogue version, the EPSS score date and model. */
  data_version: string | null;
  attempted_at: number | null;
  error: string | null;
}

export interface PrioritisationTables {
  kev_entries: KevEntriesTable;
  epss_scores: EpssScoresTable;
  nvd_cvss: NvdCvssTable;
  enrichment_sources: EnrichmentSourcesTable;
}
