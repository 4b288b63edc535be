import { type Severity, type SeverityCounts, compactCounts, isSeverity, zeroCounts } from './severity.js';

export const DAY_MS = 86_400_000;

/**
 * Findings grouped by the UTC day they were first seen and the day they were closed (null
 * while open). Findings first seen before the window come with the window's first day
 * less one, so that the groups stay few however long the history.
 */
export interface FindingSpan {
  severity: string;
  openedDay: number;
  closedDay: number | null;
  count: number;
}

export interface HistoryDay {
  /** The UTC day, `YYYY-MM-DD`; counts are as at its end (or now, for today). */
  date: string;
  counts: SeverityCounts;
}

/**
 * Open findings per severity at the end of each of the last `days` UTC days, ending today.
 * A finding is open on day d when it was first seen on or before d and not closed by the
 * end of d: the same rule the store applies to what is open now.
 */
export function openFindingsByDay(spans: readonly FindingSpan[], days: number, now: Date): HistoryDay[] {
  const today = Math.floor(now.getTime() / DAY_MS);
  const first = today - days + 1;
  // Difference arrays: +count the day a group opens (or the window's first day), −count the day it closes.
  const deltas = Array.from({ length: days + 1 }, () => zeroCounts());
  for (const span of spans) {
    const severity: Severity = isSeverity(span.severity) ? span.severity : 'UNDEFINED';
    const from = Math.max(span.openedDay, first) - first;
    const until = span.closedDay === null ? days : Math.min(span.closedDay, today + 1) - first;
    if (from >= days || until <= from) continue;
    deltas[from]![severity] += span.count;
    deltas[until]![severity] -= span.count;
  }
  const running = zeroCounts();
  const out: HistoryDay[] = [];
  for (let day = 0; day < days; day++) {
    for (const [severity, delta] of Object.entries(deltas[day]!) as Array<[Severity, number]>) running[severity] += delta;
    out.push({ date: new Date((first + day) * DAY_MS).toISOString().slice(0, 10), counts: compactCounts(running) });
  }
  return out;
}
