export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type Counts = Partial<Record<Severity, number>>;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const number = new Intl.NumberFormat();

export function formatTime(value: string | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '—';
}

export function formatNumber(value: number): string {
  return number.format(value);
}

export function addCounts(into: Record<Severity, number>, counts: Counts): void {
  for (const severity of SEVERITIES) into[severity] += counts[severity] ?? 0;
}

export function zeroCounts(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}

/** Orders by what needs attention first: critical findings, then high, and so on. */
export function compareCounts(a: Counts, b: Counts): number {
  for (const severity of SEVERITIES) {
    const difference = (b[severity] ?? 0) - (a[severity] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function severityRank(severity: string): number {
  const index = (SEVERITIES as readonly string[]).indexOf(severity);
  return index === -1 ? SEVERITIES.length : index;
}

/** `repository:tag`, shortened digests and the like for narrow cells. */
export function shortDigest(digest: string | null): string {
  return digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '—';
}
