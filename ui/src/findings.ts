import { useEffect, useState } from 'preact/hooks';
import { api, type Problem, problemFrom } from './api';
import { type Severity, severityRank } from './format';
import type { Finding } from './types';

// A configuration's findings in the browser: read with the API's cursor, then sorted and
// filtered here, so that a filter answers without a round trip.

/** A small first page puts rows on screen at once; the rest come in the API's largest pages. */
const FIRST_PAGE = 100;
const PAGE_LIMIT = 1000;

export interface AllFindings {
  findings: Finding[] | null;
  /** True while later pages are still being read: what is shown so far is usable already. */
  loading: boolean;
  problem: Problem | null;
}

/** Every finding of the configuration, fixed ones too, read page by page and shown as each page arrives. */
export function useAllFindings(id: string, round: number): AllFindings {
  const [state, setState] = useState<AllFindings>({ findings: null, loading: true, problem: null });
  useEffect(() => {
    let current = true;
    (async () => {
      let all: Finding[] = [];
      let after: string | null = null;
      do {
        const query: string = `format=json&status=all&limit=${after ? PAGE_LIMIT : FIRST_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
        const page: { findings: Finding[]; next: string | null } = await api('GET', `/findings/${encodeURIComponent(id)}?${query}`);
        all = all.concat(page.findings);
        after = page.next;
        if (current) setState({ findings: all, loading: after !== null, problem: null });
      } while (after && current);
    })().catch((err: unknown) => current && setState({ findings: null, loading: false, problem: problemFrom(err) }));
    return () => {
      current = false;
    };
  }, [id, round]);
  return state;
}

export interface FindingFilter {
  text: string;
  severities: Severity[];
  status: 'ACTIVE' | 'FIXED' | 'SUPPRESSED' | 'ALL';
  fixable: boolean;
}

export type SortKey = 'severity' | 'name' | 'package' | 'tag' | 'firstSeen';

export const COMPARE: Record<SortKey, (a: Finding, b: Finding) => number> = {
  severity: (a, b) => severityRank(a.severity) - severityRank(b.severity) || (b.cvss?.score ?? 0) - (a.cvss?.score ?? 0),
  name: (a, b) => a.name.localeCompare(b.name),
  package: (a, b) => (a.package ?? '').localeCompare(b.package ?? ''),
  tag: (a, b) => a.tag.localeCompare(b.tag),
  firstSeen: (a, b) => b.firstSeen.localeCompare(a.firstSeen),
};

/** Filters in one pass over precomputed lower-case text: 10,000 findings answer within a frame or two. */
export function filterFindings(findings: readonly Finding[], haystacks: readonly string[], filter: FindingFilter): Finding[] {
  const needle = filter.text.trim().toLowerCase();
  const severities = new Set(filter.severities);
  const out: Finding[] = [];
  for (let i = 0; i < findings.length; i++) {
    const finding = findings[i]!;
    if (filter.status !== 'ALL' && finding.status !== filter.status) continue;
    if (severities.size > 0 && !severities.has(finding.severity)) continue;
    if (filter.fixable && !finding.fixedVersion) continue;
    if (needle && !haystacks[i]!.includes(needle)) continue;
    out.push(finding);
  }
  return out;
}

