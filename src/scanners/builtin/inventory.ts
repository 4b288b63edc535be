/**
 * What the built-in scanner learns from an image: its distribution and every package it
 * ships. Analysers produce it from layers; the matcher compares it with advisories; the
 * store keeps it per image digest so that a rescan of an unchanged image downloads nothing.
 */

export interface OsRelease {
  /** `ID` of os-release: debian, ubuntu, alpine, … */
  id: string;
  /** `VERSION_ID`: 12, 22.04, 3.19.1, … */
  versionId: string | null;
  prettyName: string | null;
}

export interface InstalledPackage {
  /** OSV ecosystem with its release, as OSV spells it: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `npm`, `PyPI`. */
  ecosystem: string;
  /** Binary (installed) package name. */
  name: string;
  version: string;
  /** Source package and its version where the ecosystem's advisories name sources (Debian, Ubuntu, Alpine origin). */
  sourceName: string | null;
  sourceVersion: string | null;
  /** Path inside the image of the file the package was read from. */
  path: string;
}

export interface Inventory {
  os: OsRelease | null;
  packages: InstalledPackage[];
  /** Name → version of every analyser that ran; part of the cache key of a stored inventory. */
  analysers: Record<string, string>;
  /** Readable notes on what could not be analysed (e.g. a package database no analyser reads). */
  unsupported: string[];
  /**
   * Files whose packages could not be established (an analyser failed on them, they were
   * over the per-file limit, no analyser reads them): findings read from them stay open.
   */
  unsettled: string[];
  /** OS package databases of a distribution OSV has no advisories for: inventoried, not matched. */
  advisoryGaps: AdvisoryGap[];
}

export interface AdvisoryGap {
  /** "CBL-Mariner 2.0". */
  distribution: string;
  /** The ecosystem its packages carry in the inventory (`CBL-Mariner:2.0`), which no advisory names. */
  ecosystem: string;
  /** The package database. */
  path: string;
  packages: number;
}

/**
 * Appended to the path of packages read from a lock file whose project has no installed
 * `node_modules` tree: they are what the lock pins, not what the image is known to hold.
 */
export const LOCK_ONLY_SUFFIX = ' (lock file only: nothing installed)';

/** The file a package path names, without a `LOCK_ONLY_SUFFIX`. */
export function sourceFileOf(path: string): string {
  return path.endsWith(LOCK_ONLY_SUFFIX) ? path.slice(0, -LOCK_ONLY_SUFFIX.length) : path;
}
