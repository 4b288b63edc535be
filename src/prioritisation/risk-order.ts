import { type RawBuilder, sql } from 'kysely';

/**
 * `sort=risk`: findings listed in CISA's KEV catalogue first, then by EPSS score × severity
 * weight (CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1, others 0; no EPSS score counts as 0), then
 * by severity weight alone, then newest first. The weights keep a likely-exploited MEDIUM
 * above a CRITICAL nobody exploits, and a CRITICAL above a LOW at the same EPSS.
 * Needs `kev_entries`, `epss_scores` and `nvd_cvss` joined (the severity is the effective one).
 */
function severityWeight(effectiveSeverity: RawBuilder<string>) {
  return sql<number>`(case ${effectiveSeverity} when 'CRITICAL' then 4 when 'HIGH' then 3 when 'MEDIUM' then 2 when 'LOW' then 1 else 0 end)`;
}

export function riskOrder(effectiveSeverity: RawBuilder<string>) {
  const weight = severityWeight(effectiveSeverity);
  return {
    kev: sql<number>`(case when kev_entries.cve is null then 0 else 1 end)`,
    risk: sql<number>`(coalesce(epss_scores.score, 0) * ${weight})`,
    weight,
  };
}
