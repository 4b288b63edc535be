import { apkComparator } from './apk.js';
import { apk2Comparator } from './apk2.js';
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
  // Alpine's ordering depends on the release: see `alpineComparator`.
  Alpine: apkComparator,
  // apk-based distributions whose package manager is apk-tools 2 (or a reimplementation of it).
  Wolfi: apk2Comparator,
  Chainguard: apk2Comparator,
  MinimOS: apk2Comparator,
  Alpaquita: apk2Comparator,
  'Red Hat': rpmComparator,
  'Rocky Linux': rpmComparator,
  AlmaLinux: rpmComparator,
  'Azure Linux': rpmComparator,
  'Photon OS': rpmComparator,
  openEuler: rpmComparator,
  SUSE: rpmComparator,
  openSUSE: rpmComparator,
  Mageia: rpmComparator,
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
  if (base === 'Alpine') return alpineComparator(ecosystem);
  return Object.hasOwn(COMPARATORS, base) ? (COMPARATORS[base] ?? null) : null;
}

/**
 * Alpine 3.23.0 (released 2025-12-03, "Alpine 3.23.0 released" on alpinelinux.org) is the
 * first release whose package manager is apk-tools 3; earlier releases run apk-tools 2,
 * whose ordering differs on versions outside the Gentoo grammar (`1.9.5p1`, `8.2.001`).
 * A release-scoped ecosystem (`Alpine:v3.22`) is compared as its own apk does; `edge` and
 * an unscoped `Alpine` as the current one.
 */
export const FIRST_APK_TOOLS_3_ALPINE: readonly [number, number] = [3, 23];

function alpineComparator(ecosystem: string): VersionComparator {
  const release = /^Alpine:v(\d+)\.(\d+)$/.exec(ecosystem);
  if (!release) return apkComparator;
  const [major, minor] = [Number(release[1]), Number(release[2])];
  const [firstMajor, firstMinor] = FIRST_APK_TOOLS_3_ALPINE;
  return major < firstMajor || (major === firstMajor && minor < firstMinor) ? apk2Comparator : apkComparator;
}

/** Ecosystem base names with a registered ordering, for contract tests and documentation. */
export function registeredEcosystems(): string[] {
  return Object.keys(COMPARATORS);
}
