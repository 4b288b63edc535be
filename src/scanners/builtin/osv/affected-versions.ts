import type { VersionComparator } from '../versioning/version-comparator.js';
import type { AffectedSpec, VersionRange } from './advisory.js';

/**
 * The evaluation of OSV's `affected` entries (schema "Evaluation" section): a version is
 * affected when the `versions` list names it or it lies within any ordered range.
 */

/** `introduced: "0"` sorts before every version. */
function compareEventVersions(a: string, b: string, comparator: VersionComparator): number {
  if (a === '0' || b === '0') return a === b ? 0 : a === '0' ? -1 : 1;
  return comparator.compare(a, b);
}

/** `limit` events cap the range; without any there is an implicit `*` (infinity). */
function beforeLimits(version: string, range: VersionRange, comparator: VersionComparator): boolean {
  let limited = false;
  for (const event of range.events) {
    if (!('limit' in event)) continue;
    limited = true;
    if (event.limit.includes('*') || comparator.compare(version, event.limit) < 0) return true;
  }
  return !limited;
}

/**
 * The spec walks the events in version order, each applicable one switching the state;
 * the outcome is therefore the kind of the greatest applicable event. Finding that
 * maximum directly costs one comparison per event and needs no sort. At equal versions an
 * `introduced` sorts first, so that `introduced: X, last_affected: X` means "X only".
 */
export function isInRange(version: string, range: VersionRange, comparator: VersionComparator): boolean {
  if (!beforeLimits(version, range, comparator)) return false;
  // The greatest applicable event so far, kept as two variables: this runs for every candidate entry.
  let greatestVersion: string | null = null;
  let greatestIntroduces = false;
  for (const event of range.events) {
    let eventVersion: string;
    let introduces = false;
    if ('introduced' in event) {
      if (event.introduced !== '0' && comparator.compare(version, event.introduced) < 0) continue;
      eventVersion = event.introduced;
      introduces = true;
    } else if ('fixed' in event) {
      if (comparator.compare(version, event.fixed) < 0) continue;
      eventVersion = event.fixed;
    } else if ('last_affected' in event) {
      if (comparator.compare(version, event.last_affected) <= 0) continue;
      eventVersion = event.last_affected;
    } else {
      continue;
    }
    if (greatestVersion !== null) {
      const order = compareEventVersions(eventVersion, greatestVersion, comparator);
      if (order < 0 || (order === 0 && introduces)) continue;
    }
    greatestVersion = eventVersion;
    greatestIntroduces = introduces;
  }
  return greatestIntroduces;
}

/** Whether `version` is affected; ranges count only when the ecosystem's ordering is known. */
export function isAffected(version: string, spec: AffectedSpec, comparator: VersionComparator | null): boolean {
  if (spec.versions.includes(version)) return true;
  if (comparator === null) return false;
  return spec.ranges.some((range) => isInRange(version, range, comparator));
}

/** The lowest `fixed` version above `version`, or null when no fix is known or the ordering is not. */
export function firstFixAbove(version: string, spec: AffectedSpec, comparator: VersionComparator | null): string | null {
  if (comparator === null) return null;
  let lowest: string | null = null;
  for (const range of spec.ranges) {
    for (const event of range.events) {
      if (!('fixed' in event) || comparator.compare(event.fixed, version) <= 0) continue;
      if (lowest === null || comparator.compare(event.fixed, lowest) < 0) lowest = event.fixed;
    }
  }
  return lowest;
}
