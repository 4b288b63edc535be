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
}
