import type { EventFinding, FindingChange } from '../domain/event.js';
import type { Finding } from '../domain/finding.js';
import type { Severity } from '../domain/severity.js';

/** A stored finding of one image as the scan commit compares it: its identity, values and state. */
export interface PreviousFinding extends EventFinding {
  open: boolean;
}

export type FindingEventChange =
  | { type: 'finding.new'; finding: EventFinding }
  | { type: 'finding.reopened'; finding: EventFinding }
  | { type: 'finding.changed'; finding: EventFinding; previous: FindingChange }
  | { type: 'finding.fixed'; finding: EventFinding };

/** Identity of a finding within one image, as the findings table's unique key has it. */
export function findingKey(name: string, pkg: string | null): string {
  return `${name}\u0000${pkg ?? ''}`;
}

/**
 * What a complete scan of one image changes in its findings: new, reopened, changed and
 * fixed ones. A previous open finding read from an unsettled file (one this scan could not
 * read) is not fixed, since nothing says it is gone.
 */
export function diffFindings(previous: Map<string, PreviousFinding>, seen: Finding[], unsettledPaths: ReadonlySet<string>): FindingEventChange[] {
  const changes: FindingEventChange[] = [];
  const seenKeys = new Set<string>();
  for (const finding of seen) {
    const key = findingKey(finding.name, finding.package);
    seenKeys.add(key);
    const before = previous.get(key);
    const now = toEventFinding(finding);
    if (!before) changes.push({ type: 'finding.new', finding: now });
    else if (!before.open) changes.push({ type: 'finding.reopened', finding: now });
    else if (hasChanged(before, now)) changes.push({ type: 'finding.changed', finding: now, previous: changeOf(before) });
  }
  for (const [key, before] of previous) {
    if (!before.open || seenKeys.has(key) || isUnsettled(before, unsettledPaths)) continue;
    changes.push({ type: 'finding.fixed', finding: withoutState(before) });
  }
  return changes;
}

export function isUnsettled(finding: Pick<EventFinding, 'path'>, unsettledPaths: ReadonlySet<string>): boolean {
  return finding.path !== null && unsettledPaths.has(finding.path);
}

function toEventFinding(finding: Finding): EventFinding {
  return {
    name: finding.name,
    severity: finding.severity,
    package: finding.package,
    version: finding.version,
    fixedVersion: finding.fixedVersion,
    uri: finding.uri,
    cvss: finding.cvss,
    aliases: finding.aliases,
    path: finding.path,
  };
}

function withoutState(finding: PreviousFinding): EventFinding {
  const { open: _open, ...rest } = finding;
  return rest;
}

/** The values users act on: a new severity, a fix becoming available, a re-scored CVSS. */
function hasChanged(before: PreviousFinding, now: EventFinding): boolean {
  return (
    before.severity !== now.severity ||
    before.fixedVersion !== now.fixedVersion ||
    (before.cvss?.score ?? null) !== (now.cvss?.score ?? null) ||
    (before.cvss?.vector ?? null) !== (now.cvss?.vector ?? null)
  );
}

function changeOf(finding: PreviousFinding): { severity: Severity; fixedVersion: string | null; cvss: EventFinding['cvss'] } {
  return { severity: finding.severity, fixedVersion: finding.fixedVersion, cvss: finding.cvss };
}
