/** Severity buckets in the order every output lists them (the demo's order). */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

export type Severity = (typeof SEVERITIES)[number];

export type SeverityCounts = Partial<Record<Severity, number>>;

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Maps scanner vocabularies (ECR says INFORMATIONAL, Inspector UNTRIAGED, OSV MODERATE …) onto ours. */
export function normaliseSeverity(value: string | null | undefined): Severity {
  const upper = (value ?? '').trim().toUpperCase();
  if (isSeverity(upper)) return upper;
  switch (upper) {
    case 'MODERATE':
      return 'MEDIUM';
    case 'IMPORTANT':
      return 'HIGH';
    case 'NEGLIGIBLE':
    case 'INFO':
    case 'NONE':
      return 'INFORMATIONAL';
    default:
      return 'UNDEFINED';
  }
}

/** Drops zero counts so that JSON and text output show only what is there. */
export function compactCounts(counts: Record<Severity, number>): SeverityCounts {
  const out: SeverityCounts = {};
  for (const severity of SEVERITIES) {
    if (counts[severity] > 0) out[severity] = counts[severity];
  }
  return out;
}

export function zeroCounts(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}
