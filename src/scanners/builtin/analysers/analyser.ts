import { ScanError } from '../../scanner.js';
import type { AdvisoryGap, InstalledPackage, OsRelease } from '../inventory.js';
import type { ImageFiles } from '../layers/image-files.js';

/**
 * Reads one kind of package database. Each analyser names the paths it reads (an exact
 * path, or a directory followed by `/*` for every file directly inside it) so that layers
 * keep only those; its version is part of a stored inventory's cache key, so a better
 * analyser makes older inventories stale.
 */
export interface Analyser {
  readonly name: string;
  /**
   * `os` analysers read a distribution's package database and say which files its
   * packages installed; `language` packages found in those files are the distribution's
   * copies (patched by it, covered by its advisories) and are not reported on their own.
   */
  readonly role: 'os' | 'language';
  readonly version: string;
  readonly paths: readonly string[];
  analyse(files: ImageFiles, os: OsRelease | null): AnalyserResult;
}

export interface AnalyserResult {
  /** Whether the database this analyser reads exists in the image at all. */
  found: boolean;
  packages: InstalledPackage[];
  /** Readable notes on what was found but could not be reported (e.g. an unknown release). */
  notes: string[];
  /** Files whose packages could not be established (see `Inventory.unsettled`). */
  unsettled?: string[];
  /** `os` analysers: the files the database lists as installed by its packages, relative to the image root. */
  ownedFiles?: Iterable<string>;
  /** `os` analysers: set when the distribution has no advisory source. */
  gap?: AdvisoryGap;
}

/** A package database that is there but cannot be trusted: the image fails rather than looks clean. */
export class AnalyserError extends ScanError {
  constructor(message: string) {
    super('FAILED', message, false);
    this.name = 'AnalyserError';
  }
}

/** Bounds the inventory of one database: Debian's full archive has some 70 000 binary packages. */
export const MAX_PACKAGES_PER_DATABASE = 200_000;

/** A package name or version as package managers write them: printable, no spaces, bounded. */
export function isSaneToken(text: string, maxLength = 256): boolean {
  return text.length > 0 && text.length <= maxLength && /^[\x21-\x7e]+$/.test(text);
}

export function textOf(bytes: Buffer, path: string): string {
  if (bytes.includes(0)) throw new AnalyserError(`${path} is malformed: it holds NUL bytes, not text`);
  return bytes.toString('utf8');
}
