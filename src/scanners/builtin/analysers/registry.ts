import type { PathPatterns } from '../layers/path-selector.js';
import type { Analyser } from './analyser.js';
import { apkAnalyser } from './apk.js';
import { dpkgAnalyser } from './dpkg.js';
import { npmAnalyser } from './npm/npm-analyser.js';
import { OS_RELEASE_DETECTOR, OS_RELEASE_PATHS } from './os-release.js';
import { pythonAnalyser } from './python/python-analyser.js';
import { rpmAnalyser } from './rpm/rpm-analyser.js';

/** Every package analyser, in the order they run. A new one is added here and nowhere else. */
export const PACKAGE_ANALYSERS: readonly Analyser[] = [dpkgAnalyser, apkAnalyser, rpmAnalyser, npmAnalyser, pythonAnalyser];

/**
 * Package databases the scanner knows but no analyser reads yet. An image holding one is
 * reported as such, never as clean; an analyser that learns to read one takes its entry
 * out of this list.
 */
export interface UnreadDatabase {
  label: string;
  paths: readonly string[];
}

export const UNREAD_DATABASES: readonly UnreadDatabase[] = [
  {
    // NDB (`Packages.db`: SUSE). The SQLite and BerkeleyDB databases are read by the rpm analyser.
    label: 'RPM package database in NDB format (package database format not supported)',
    paths: ['var/lib/rpm/Packages.db', 'usr/lib/sysimage/rpm/Packages.db'],
  },
];

/** What the layers must keep (and note) for these analysers. */
export function pathPatternsFor(analysers: readonly Analyser[], unread: readonly UnreadDatabase[] = UNREAD_DATABASES): PathPatterns {
  return {
    keep: [...OS_RELEASE_PATHS, ...analysers.flatMap((analyser) => analyser.paths)],
    note: unread.flatMap((database) => database.paths),
  };
}

/** Name → version of the OS detector and every analyser: part of a stored inventory's cache key. */
export function analyserVersions(analysers: readonly Analyser[]): Record<string, string> {
  const versions: Record<string, string> = { [OS_RELEASE_DETECTOR.name]: OS_RELEASE_DETECTOR.version };
  for (const analyser of analysers) versions[analyser.name] = analyser.version;
  return versions;
}
