import { type InstalledPackage, LOCK_ONLY_SUFFIX } from '../../inventory.js';
import { parentOf } from '../../layers/entry-path.js';
import type { ImageFiles } from '../../layers/image-files.js';
import { createPathSelector } from '../../layers/path-selector.js';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE, type Analyser, type AnalyserResult } from '../analyser.js';
import { boundedNotes, failedAnalysis } from '../analyser-failure.js';
import { NpmFileProblem, type NpmPackage, isObject, npmPackageOf } from './npm-package.js';
import { parseNpmLock } from './package-lock.js';

/**
 * npm packages: those an image really ships, from every `package.json` at the root of a
 * folder in a `node_modules` directory (nested copies included, each at its own path), and,
 * for a project with no installed tree at all, those its lock file pins
 * (`package-lock.json`, `npm-shrinkwrap.json` outside `node_modules`), their path saying
 * so. Where a tree is installed it wins: a lock entry whose folder a later layer removed
 * is not in the image. Tar entries are read as they are, symlinks not followed, so linked
 * workspaces and cyclic links cost nothing and count nothing twice.
 */

const NODE_MODULES = 'node_modules';
const INSTALLED = ['**/node_modules/*/package.json', '**/node_modules/@*/*/package.json'];
const LOCK_FILES = ['**/package-lock.json', '**/npm-shrinkwrap.json'];

/** Real trees rarely nest a dozen levels; hundreds mean a crafted or broken image. */
export const MAX_NODE_MODULES_DEPTH = 64;

const installedSelector = createPathSelector({ keep: INSTALLED, note: [] });
const lockSelector = createPathSelector({ keep: LOCK_FILES, note: [] });

export const npmAnalyser: Analyser = {
  name: 'npm',
  role: 'language',
  version: '2',
  paths: [...INSTALLED, ...LOCK_FILES],
  analyse(files: ImageFiles): AnalyserResult {
    const installed: string[] = [];
    const locks: string[] = [];
    for (const path of files.allFiles()) {
      if (installedSelector.interestIn(path) === 'keep') installed.push(path);
      // A lock file inside node_modules is a dependency's own; what it pins is installed beside it.
      else if (lockSelector.interestIn(path) === 'keep' && nodeModulesDepth(path) === 0) locks.push(path);
    }
    if (installed.length === 0 && locks.length === 0) return { found: false, packages: [], notes: [] };
    try {
      return analyseNpmFiles(files, installed, locks);
    } catch (err) {
      return failedAnalysis('npm packages', err, [...installed, ...locks]);
    }
  },
};

function analyseNpmFiles(files: ImageFiles, installed: readonly string[], locks: readonly string[]): AnalyserResult {
  const packages: InstalledPackage[] = [];
  const problems: NpmFileProblem[] = [];
  const unsettled = new Set<string>();
  // Counted before duplicates are dropped, as the bound is on what the image makes us read.
  let found = 0;
  const add = (pkg: NpmPackage, path: string): void => {
    packages.push({ ecosystem: 'npm', name: pkg.name, version: pkg.version, sourceName: null, sourceVersion: null, path });
    countOne();
  };
  const countOne = (): void => {
    if (++found > MAX_PACKAGES_PER_DATABASE) throw new AnalyserError(`the image holds more than ${MAX_PACKAGES_PER_DATABASE} npm packages`);
  };
  // Every installed manifest has a path of its own: no two of them can be the same package at the same path.
  for (const path of installed) {
    try {
      const pkg = readInstalled(files, path);
      if (pkg) add(pkg, path);
    } catch (err) {
      if (!(err instanceof NpmFileProblem)) throw err;
      problems.push(err);
      unsettled.add(path);
    }
  }
  const installedProjects = projectsOf(installed);
  for (const path of locks) {
    if (installedProjects.has(parentOf(path))) continue;
    const bytes = files.read(path);
    if (!bytes) continue;
    try {
      const lock = parseNpmLock(jsonText(bytes), path);
      const pinned = new PinnedOnce();
      for (const pkg of lock.packages) {
        if (pinned.first(pkg)) add(pkg, `${path}${LOCK_ONLY_SUFFIX}`);
        else countOne();
      }
      problems.push(...lock.problems);
      if (lock.problems.length > 0) unsettled.add(`${path}${LOCK_ONLY_SUFFIX}`);
    } catch (err) {
      if (!(err instanceof NpmFileProblem)) throw err;
      problems.push(err);
      unsettled.add(`${path}${LOCK_ONLY_SUFFIX}`);
    }
  }
  const notes = problems.map((problem) => `npm: ${problem.message} (left out)`);
  return { found: true, packages, notes: boundedNotes(notes, 'npm files or entries left out'), unsettled: [...unsettled] };
}

/**
 * One lock file pins the same name and version at every install path that holds a copy:
 * reported once. Keyed by name, then version, without building a key string per entry.
 */
class PinnedOnce {
  private readonly versions = new Map<string, string | Set<string>>();

  first(pkg: NpmPackage): boolean {
    const seen = this.versions.get(pkg.name);
    if (seen === undefined) {
      this.versions.set(pkg.name, pkg.version);
      return true;
    }
    if (typeof seen === 'string') {
      if (seen === pkg.version) return false;
      this.versions.set(pkg.name, new Set([seen, pkg.version]));
      return true;
    }
    if (seen.has(pkg.version)) return false;
    seen.add(pkg.version);
    return true;
  }
}

/**
 * One installed package's manifest. A folder whose manifest names no version is not a
 * package npm installed (test fixtures shipped inside packages look like that) and is
 * skipped quietly; one that cannot be read at all is a problem worth a note.
 */
function readInstalled(files: ImageFiles, path: string): NpmPackage | null {
  const depth = nodeModulesDepth(path);
  if (depth > MAX_NODE_MODULES_DEPTH) throw new NpmFileProblem(path, `node_modules nested ${depth} deep, more than ${MAX_NODE_MODULES_DEPTH}`);
  const bytes = files.read(path);
  if (!bytes) return null;
  let manifest: unknown;
  try {
    manifest = JSON.parse(jsonText(bytes));
  } catch (err) {
    throw new NpmFileProblem(path, `not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
  if (!isObject(manifest)) throw new NpmFileProblem(path, 'not a JSON object');
  if (manifest.version === undefined && manifest.name === undefined) return null;
  return npmPackageOf(manifest.name, manifest.version, path);
}

/** JSON text as npm reads it: UTF-8, a byte order mark ignored. */
function jsonText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The folders holding an installed `node_modules` tree: `app` for `app/node_modules/x/package.json`, `''` at the root. */
function projectsOf(installed: readonly string[]): Set<string> {
  const projects = new Set<string>();
  for (const path of installed) {
    const at = path.startsWith(`${NODE_MODULES}/`) ? 0 : path.indexOf(`/${NODE_MODULES}/`);
    if (at >= 0) projects.add(path.slice(0, at));
  }
  return projects;
}

/** How many `node_modules` directories the path goes through. */
function nodeModulesDepth(path: string): number {
  let depth = 0;
  for (let start = 0; start <= path.length; ) {
    let end = path.indexOf('/', start);
    if (end < 0) end = path.length;
    if (end - start === NODE_MODULES.length && path.startsWith(NODE_MODULES, start)) depth++;
    start = end + 1;
  }
  return depth;
}
