import { type Counts, SEVERITIES, formatNumber } from '../format';

const SHORT: Record<string, string> = { CRITICAL: 'C', HIGH: 'H', MEDIUM: 'M', LOW: 'L', INFORMATIONAL: 'I', UNDEFINED: 'U' };

/** Compact counts for table cells: only the severities present, each with its full name for assistive technology. */
export function SeverityBadges({ counts }: { counts: Counts }) {
  const present = SEVERITIES.filter((severity) => (counts[severity] ?? 0) > 0);
  if (present.length === 0) return <span class="muted">none</span>;
  return (
    <span class="badges">
      {present.map((severity) => (
        <span key={severity} class={`badge sev-${severity.toLowerCase()}`} title={severity}>
          <span aria-hidden="true">{SHORT[severity]}</span>
          <span class="visually-hidden">{severity.toLowerCase()}</span> {formatNumber(counts[severity] ?? 0)}
        </span>
      ))}
    </span>
  );
}

export function SeverityLabel({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity.toLowerCase()}`}>{severity}</span>;
}
