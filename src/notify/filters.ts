import type { ScanEvent } from '../domain/event.js';
import { SEVERITIES, type Severity } from '../domain/severity.js';
import type { SubscriptionFilters } from '../domain/subscription.js';
import { globMatches } from './glob.js';

/** Lower is more severe: CRITICAL is 0. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whether an event passes a subscription's filters (see `SubscriptionFilters`). */
export function eventMatches(filters: SubscriptionFilters, event: ScanEvent): boolean {
  if (filters.configs !== null || filters.repositories !== null) {
    const byConfig = filters.configs?.includes(event.configId) ?? false;
    const byRepository = !byConfig && (filters.repositories?.some((glob) => globMatches(glob, event.repository)) ?? false);
    if (!byConfig && !byRepository) return false;
  }
  if (filters.types !== null && !filters.types.includes(event.type)) return false;
  if (filters.minSeverity !== null && event.severity !== null && severityRank(event.severity) > severityRank(filters.minSeverity)) return false;
  const finding = event.detail.finding;
  if (filters.fixableOnly && finding && !finding.fixedVersion) return false;
  return true;
}
