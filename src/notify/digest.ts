import type { EventType, ScanEvent } from '../domain/event.js';
import type { Severity, SeverityCounts } from '../domain/severity.js';
import { SEVERITIES } from '../domain/severity.js';
import { severityRank } from './filters.js';

/** Findings listed in a message; the rest are one link away. */
export const TOP_FINDINGS = 10;
/** Image and scan events listed in a message. */
export const TOP_CHANGES = 10;

/** Finding events that ask for attention: counted by severity and listed first. */
// A finding whose suppression went counts again: it needs the same attention as a new one.
const ATTENTION: ReadonlySet<EventType> = new Set(['finding.new', 'finding.reopened', 'finding.changed', 'finding.unsuppressed']);

export interface DigestConfig {
  id: string;
  registry: string;
  repository: string;
  region: string | null;
}

/** What one message says, whatever its format. */
export interface Digest {
  id: string;
  kind: 'scan' | 'periodic' | 'test';
  time: Date;
  subscriptionId: string;
  /** The configuration a scan digest is about; null for a periodic digest. */
  config: DigestConfig | null;
  runId: string | null;
  /** The period a periodic digest covers. */
  period: { from: Date; to: Date } | null;
  events: number;
  byType: Partial<Record<EventType, number>>;
  /** Findings that appeared, reopened or changed, by their severity. */
  bySeverity: SeverityCounts;
  findings: ScanEvent[];
  changes: ScanEvent[];
  /** Configurations a periodic digest touches (at most TOP_CHANGES). */
  configs: DigestConfig[];
  /** Where every event of the digest can be read. */
  eventsUrl: string;
}

export function configOf(event: ScanEvent): DigestConfig {
  return { id: event.configId, registry: event.registry, repository: event.repository, region: event.region };
}

/** More severe first, then the higher CVSS score, then log order. */
function byImportance(a: ScanEvent, b: ScanEvent): number {
  const rank = severityRank(a.severity ?? 'UNDEFINED') - severityRank(b.severity ?? 'UNDEFINED');
  if (rank !== 0) return rank;
  const score = (b.detail.finding?.cvss?.score ?? -1) - (a.detail.finding?.cvss?.score ?? -1);
  return score !== 0 ? score : a.seq - b.seq;
}

export type Summary = Pick<Digest, 'events' | 'byType' | 'bySeverity' | 'findings' | 'changes' | 'configs'>;

/**
 * Counts and the most important events, taken one event at a time so that a digest of a
 * day's events holds only its counts and its top lists, never the day's events.
 */
export function createSummariser(): { add(event: ScanEvent): void; result(): Summary } {
  let count = 0;
  const byType: Partial<Record<EventType, number>> = {};
  const severityCounts = new Map<Severity, number>();
  const attention = topList(TOP_FINDINGS);
  const fixed = topList(TOP_FINDINGS);
  const changes: ScanEvent[] = [];
  const configs = new Map<string, DigestConfig>();
  return {
    add(event) {
      count++;
      byType[event.type] = (byType[event.type] ?? 0) + 1;
      if (configs.size < TOP_CHANGES && !configs.has(event.configId)) configs.set(event.configId, configOf(event));
      if (ATTENTION.has(event.type)) {
        const severity = event.severity ?? 'UNDEFINED';
        severityCounts.set(severity, (severityCounts.get(severity) ?? 0) + 1);
        attention.add(event);
      } else if (event.type === 'finding.fixed') {
        fixed.add(event);
      } else if (changes.length < TOP_CHANGES) {
        changes.push(event);
      }
    },
    result() {
      const bySeverity: SeverityCounts = {};
      for (const severity of SEVERITIES) {
        const severityCount = severityCounts.get(severity);
        if (severityCount) bySeverity[severity] = severityCount;
      }
      const findings = [...attention.items, ...fixed.items].slice(0, TOP_FINDINGS);
      return { events: count, byType, bySeverity, findings, changes, configs: [...configs.values()] };
    },
  };
}

export function summarise(events: Iterable<ScanEvent>): Summary {
  const summariser = createSummariser();
  for (const event of events) summariser.add(event);
  return summariser.result();
}

/** The `n` most important events seen, kept sorted: a sort of everything would be n log n for a 10,000-finding scan. */
function topList(n: number): { items: ScanEvent[]; add(event: ScanEvent): void } {
  const items: ScanEvent[] = [];
  return {
    items,
    add(event) {
      if (items.length === n && byImportance(event, items[n - 1] as ScanEvent) >= 0) return;
      let at = items.length;
      while (at > 0 && byImportance(event, items[at - 1] as ScanEvent) < 0) at--;
      items.splice(at, 0, event);
      if (items.length > n) items.pop();
    },
  };
}

/** One line a person reads first: what happened, where. */
export function headline(digest: Digest): string {
  const where = digest.config ? `${digest.config.registry}/${digest.config.repository}` : 'all subscribed configurations';
  if (digest.kind === 'test') return `Test message from ecrscan for subscription ${digest.subscriptionId}`;
  if (digest.events === 0) return `Nothing new in ${where} since ${digest.period?.from.toISOString() ?? 'the last digest'}`;
  const parts: string[] = [];
  const opened = (digest.byType['finding.new'] ?? 0) + (digest.byType['finding.reopened'] ?? 0);
  if (opened > 0) parts.push(`${opened} new finding${opened === 1 ? '' : 's'}${severityList(digest.bySeverity)}`);
  const fixed = digest.byType['finding.fixed'] ?? 0;
  if (fixed > 0) parts.push(`${fixed} fixed`);
  const changed = digest.byType['finding.changed'] ?? 0;
  if (changed > 0) parts.push(`${changed} changed`);
  const failed = digest.byType['scan.failed'] ?? 0;
  if (failed > 0) parts.push(`scan failing`);
  if ((digest.byType['scan.recovered'] ?? 0) > 0) parts.push(`scan recovered`);
  const images = (digest.byType['image.added'] ?? 0) + (digest.byType['image.removed'] ?? 0) + (digest.byType['image.digest_changed'] ?? 0);
  if (images > 0) parts.push(`${images} image change${images === 1 ? '' : 's'}`);
  return `${parts.join(', ')} in ${where}`;
}

function severityList(counts: SeverityCounts): string {
  const entries = SEVERITIES.filter((severity) => counts[severity]).map((severity) => `${counts[severity]} ${severity}`);
  return entries.length > 0 ? ` (${entries.join(', ')})` : '';
}
