import { apkComparator } from './apk.js';
import { dpkgComparator } from './dpkg.js';
import { pep440Comparator } from './pep440.js';
import { rpmComparator } from './rpm.js';
import { semverComparator } from './semver.js';
import type { VersionComparator } from './version-comparator.js';

/**
 * Every supported version ordering, keyed by OSV ecosystem base name. Explicit on
 * purpose: an ecosystem missing here has no range matching, rather than a guessed one.
 * A new ordering joins by adding a module and a line.
 */
const COMPARATORS: Readonly<Record<string, VersionComparator>> = Object.freeze({
  Debian: dpkgComparator,
  Ubuntu: dpkgComparator,
  Alpine: apkComparator,
  'Red Hat': rpmComparator,
  'Rocky Linux': rpmComparator,
  AlmaLinux: rpmComparator,
  npm: semverComparator,
  PyPI: pep440Comparator,
});

/** `Debian:12` → `Debian`, `Ubuntu:Pro:18.04:LTS` → `Ubuntu`, `npm` → `npm`. */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/** The ordering of an ecosystem, with or without its release suffix; null when none is registered. */
export function comparatorFor(ecosystem: string): VersionComparator | null {
  const base = ecosystemBase(ecosystem);
  return Object.hasOwn(COMPARATORS, base) ? (COMPARATORS[base] ?? null) : null;
}

/** Ecosystem base names with a registered ordering, for contract tests and documentation. */
export function registeredEcosystems(): string[] {
  return Object.keys(COMPARATORS);
}
