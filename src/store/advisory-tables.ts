import type { Generated } from 'kysely';

/**
 * Row types of the OSV advisory tables (migration 2026-11-28-advisories). JSON columns
 * are text on every dialect; times are Unix milliseconds.
 */
export interface OsvAdvisoriesTable {
  id: string;
  modified: number;
  published: number | null;
  withdrawn: number | null;
  /** The import source the record last came from. */
  source: string;
  /** JSON of what findings show of the record (id, aliases, upstream, severity, description, uri). */
  summary: string;
}

export interface OsvAffectedTable {
  ecosystem: string;
  package: string;
  advisory_id: string;
  /** Index of the entry within the record's `affected` list. */
  position: number;
  /** JSON of the entry's ordered ranges, versions, severities and per-CVE map. */
  spec: string;
}

export interface OsvAliasesTable {
  /** A name the record goes by: its id, an alias, an upstream id or the CVE it wraps. */
  alias: string;
  advisory_id: string;
}

export interface OsvSourcesTable {
  source: string;
  etag: string | null;
  last_modified: string | null;
  /** Size and modification time of a local zip, to skip an unchanged one. */
  signature: string | null;
  imported_at: number;
  records: number;
}

/** The last import attempt of a source (migration 2026-12-09-advisory-rematch). */
export interface OsvSourceAttemptsTable {
  source: string;
  attempted_at: number;
  /** Why it failed; null when it succeeded. */
  error: string | null;
}

/** What one import batch added, changed or withdrew: the re-match queue (migration 2026-12-09-advisory-rematch). */
export interface AdvisoryChangesTable {
  id: Generated<number>;
  source: string;
  created_at: number;
  /** JSON of `{ added, changed, withdrawn }`, advisory ids each. */
  advisories: string;
  /** JSON of the `[ecosystem, package]` pairs those advisories name, before and after. */
  packages: string;
  lease_owner: string | null;
  lease_expires_at: number | null;
  done_at: number | null;
}

export interface AdvisoryTables {
  osv_advisories: OsvAdvisoriesTable;
  osv_affected: OsvAffectedTable;
  osv_aliases: OsvAliasesTable;
  osv_sources: OsvSourcesTable;
  advisory_changes: AdvisoryChangesTable;
  osv_source_attempts: OsvSourceAttemptsTable;
}
