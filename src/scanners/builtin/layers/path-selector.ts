import { parentOf } from './entry-path.js';

/**
 * Which paths of an image matter. `keep` paths are read (their content kept); `note`
 * paths are only recorded as present (a package database no analyser reads yet). A
 * pattern is an exact path (`var/lib/dpkg/status`) or a directory followed by `/*`
 * for every file directly inside it (`var/lib/dpkg/status.d/*`).
 */
export interface PathPatterns {
  keep: readonly string[];
  note: readonly string[];
}

export type PathInterest = 'keep' | 'note' | null;

export interface PathSelector {
  interestIn(path: string): PathInterest;
  /**
   * True for a path that is, or is a directory above, something of interest: whiteouts
   * and symlinks at such paths change what the image holds there.
   */
  mayContain(path: string): boolean;
}

export function createPathSelector(patterns: PathPatterns): PathSelector {
  const exact = new Map<string, PathInterest>();
  const directories = new Map<string, PathInterest>();
  const ancestors = new Set<string>();
  const add = (pattern: string, interest: Exclude<PathInterest, null>): void => {
    const isGlob = pattern.endsWith('/*');
    const path = isGlob ? pattern.slice(0, -2) : pattern;
    const target = isGlob ? directories : exact;
    // `keep` wins over `note` for a path both name.
    if (target.get(path) !== 'keep') target.set(path, interest);
    for (let dir = isGlob ? path : parentOf(path); dir !== ''; dir = parentOf(dir)) ancestors.add(dir);
  };
  for (const pattern of patterns.note) add(pattern, 'note');
  for (const pattern of patterns.keep) add(pattern, 'keep');

  function interestIn(path: string): PathInterest {
    return exact.get(path) ?? directories.get(parentOf(path)) ?? null;
  }
  return {
    interestIn,
    mayContain: (path) => ancestors.has(path) || interestIn(path) !== null,
  };
}

export function mergePatterns(all: readonly PathPatterns[]): PathPatterns {
  return {
    keep: [...new Set(all.flatMap((patterns) => patterns.keep))],
    note: [...new Set(all.flatMap((patterns) => patterns.note))],
  };
}
