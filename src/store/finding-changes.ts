import type { EventFinding, FindingChange } from '../domain/event.js';
import type { Finding } from '../domain/finding.js';

/** A stored finding of one image as the scan commit compares it: its row, values and state. */
export interface PreviousFinding {
  id: number;
  finding: EventFinding;
  open: boolean;
}

/** A change to a finding that was stored before; new ones are told apart by the database. */
export type FindingEventChange =
  | { type: 'finding.reopened'; findingId: number; finding: EventFinding }
  | { type: 'finding.changed'; findingId: number; finding: EventFinding; previous: FindingChange }
  | { type: 'finding.fixed'; findingId: number; finding: EventFinding };

/** Identity of a finding within one image, as the findings table's unique key has it. */
export function findingKey(name: string, pkg: string | null): string {
  return `${name}\u0000${pkg ?? ''}`;
}

/**
 * What a complete scan of one image changes in the findings it had: reopened, changed and
 * fixed ones (new ones are those the commit inserts). A previous open finding read from an unsettled file (one this scan could not
 * read) is not fixed, since nothing says it is gone.
 */
export function diffFindings(previous: Map<string, PreviousFinding>, seen: Finding[], unsettledPaths: ReadonlySet<string>): FindingEventChange[] {
  const changes: FindingEventChange[] = [];
  const seenKeys = new Set<string>();
  for (const finding of seen) {
    const key = findingKey(finding.name, finding.package);
    seenKeys.add(key);
    const before = previous.get(key);
    if (!before) continue;
    const now = toEventFinding(finding);
    if (!before.open) changes.push({ type: 'finding.reopened', findingId: before.id, finding: now });
    else if (hasChanged(before.finding, now)) changes.push({ type: 'finding.changed', findingId: before.id, finding: now, previous: changeOf(before.finding) });
  }
  for (const [key, before] of previous) {
    if (!before.open || seenKeys.has(key) || isUnsettled(before.finding, unsettledPaths)) continue;
    changes.push({ type: 'finding.fixed', findingId: before.id, finding: before.finding });
  }
  return changes;
}

export function isUnsettled(finding: Pick<EventFinding, 'path'>, unsettledPaths: ReadonlySet<string>): boolean {
  return finding.path !== null && unsettledPaths.has(finding.path);
}

function toEventFinding(finding: Finding): EventFinding {
  const { description: _description, ...rest } = finding;
  return rest;
}

/** The values users act on: a new severity, a fix becoming available, a re-scored CVSS. */
function hasChanged(before: EventFinding, now: EventFinding): boolean {
  return (
    before.severity !== now.severity ||
    before.fixedVersion !== now.fixedVersion ||
    (before.cvss?.score ?? null) !== (now.cvss?.score ?? null) ||
    (before.cvss?.vector ?? null) !== (now.cvss?.vector ?? null)
  );
}

function changeOf(finding: EventFinding): FindingChange {
  return { severity: finding.severity, fixedVersion: finding.fixedVersion, cvss: finding.cvss };
}
