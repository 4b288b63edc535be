import { baseNameOf, parentOf } from './entry-path.js';

/**
 * Which paths of an image matter. `keep` paths are read (their content kept); `note`
 * paths are only recorded as present (a package database no analyser reads yet). A
 * pattern is an exact path (`var/lib/dpkg/status`), a directory followed by `/*`
 * for every file directly inside it (`var/lib/dpkg/status.d/*`), or a glob for files
 * wherever they are: `**` as a whole segment stands for any directories (none included),
 * `*` inside a segment for any characters but `/` (a `*.dist-info` directory).
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
  const globs = new GlobSet();
  const add = (pattern: string, interest: Exclude<PathInterest, null>): void => {
    if (isGlob(pattern)) {
      globs.add(pattern, interest);
      return;
    }
    const isDirectory = pattern.endsWith('/*');
    const path = isDirectory ? pattern.slice(0, -2) : pattern;
    const target = isDirectory ? directories : exact;
    // `keep` wins over `note` for a path both name.
    if (target.get(path) !== 'keep') target.set(path, interest);
    for (let dir = isDirectory ? path : parentOf(path); dir !== ''; dir = parentOf(dir)) ancestors.add(dir);
  };
  for (const pattern of patterns.note) add(pattern, 'note');
  for (const pattern of patterns.keep) add(pattern, 'keep');

  function interestIn(path: string): PathInterest {
    return exact.get(path) ?? directories.get(parentOf(path)) ?? globs.interestIn(path);
  }
  return {
    interestIn,
    mayContain: (path) => ancestors.has(path) || interestIn(path) !== null || globs.mayContain(path),
  };
}

/** A pattern with `*` anywhere but as a final `/*` (a directory's files), or with `**`. */
function isGlob(pattern: string): boolean {
  const body = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
  return body.includes('*');
}

interface CompiledGlob {
  regex: RegExp;
  interest: Exclude<PathInterest, null>;
  /** The segments before the first wildcard: only paths above, at or below it can hold a match. */
  prefix: string;
  /** What every match ends with (`.egg-info` for `*.egg-info`): a test far cheaper than the regex. */
  suffix: string;
}

/**
 * Globs, indexed by their last segment when it is literal (`package.json`), so that a
 * layer's hundred thousand entries meet only the few globs that could match them.
 */
class GlobSet {
  private readonly byName = new Map<string, CompiledGlob[]>();
  private readonly others: CompiledGlob[] = [];
  private readonly prefixes = new Set<string>();

  add(pattern: string, interest: Exclude<PathInterest, null>): void {
    const segments = pattern.split('/');
    const last = segments.at(-1) ?? '';
    const firstWild = segments.findIndex((segment) => segment.includes('*'));
    const glob: CompiledGlob = {
      regex: compileGlob(segments),
      interest,
      prefix: segments.slice(0, firstWild).join('/'),
      suffix: last === '**' ? '' : last.slice(last.lastIndexOf('*') + 1),
    };
    this.prefixes.add(glob.prefix);
    if (last.includes('*')) this.others.push(glob);
    else this.byName.set(last, [...(this.byName.get(last) ?? []), glob]);
  }

  interestIn(path: string): PathInterest {
    const named = matching(this.byName.get(baseNameOf(path)), path);
    return named === 'keep' ? named : (matching(this.others, path) ?? named);
  }

  mayContain(path: string): boolean {
    for (const prefix of this.prefixes) {
      if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`) || prefix.startsWith(`${path}/`)) return true;
    }
    return false;
  }
}

/** The strongest interest among the globs matching `path`: `keep` over `note`. */
function matching(globs: readonly CompiledGlob[] | undefined, path: string): PathInterest {
  let found: PathInterest = null;
  for (const glob of globs ?? []) {
    if (!path.endsWith(glob.suffix) || !glob.regex.test(path)) continue;
    if (glob.interest === 'keep') return 'keep';
    found = glob.interest;
  }
  return found;
}

/**
 * `**` matches whole segments only, never across a partial one, which keeps matching
 * linear in the path's length however deep it is.
 */
function compileGlob(segments: readonly string[]): RegExp {
  let source = '^';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    source += segment.split('*').map(escapeRegExp).join('[^/]*');
    if (!last) source += '/';
  });
  return new RegExp(`${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function mergePatterns(all: readonly PathPatterns[]): PathPatterns {
  return {
    keep: [...new Set(all.flatMap((patterns) => patterns.keep))],
    note: [...new Set(all.flatMap((patterns) => patterns.note))],
  };
}
