import { MAX_PACKAGES_PER_DATABASE } from '../analyser.js';
import { NpmFileProblem, type NpmPackage, isObject, npmPackageOf } from './npm-package.js';

/**
 * npm's lock files, `package-lock.json` and `npm-shrinkwrap.json` (docs.npmjs.com,
 * "package-lock.json"): version 1 nests `dependencies` as the tree is nested; version 2
 * adds the flat `packages` map keyed by install path (`node_modules/a/node_modules/b`),
 * which version 3 keeps alone. Where both are present the flat map is read. Development
 * dependencies are left out, as in the production install an image usually carries (the
 * `node_modules` analysis reports what really is installed).
 */

export interface LockResult {
  packages: NpmPackage[];
  /** Entries left out, each with its reason. */
  problems: NpmFileProblem[];
}

/** v1 trees nest one level per `node_modules`; deeper than this is not an npm tree. */
const MAX_V1_DEPTH = 128;
const NODE_MODULES = 'node_modules/';

export function parseNpmLock(text: string, path: string): LockResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new NpmFileProblem(path, `not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
  if (!isObject(document)) throw new NpmFileProblem(path, 'not a JSON object');
  const version = document.lockfileVersion;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new NpmFileProblem(path, `lockfileVersion ${JSON.stringify(version)?.slice(0, 20) ?? 'is missing'}, not 1, 2 or 3`);
  }
  if (version === 1) {
    if (document.dependencies === undefined) return { packages: [], problems: [] };
    if (!isObject(document.dependencies)) throw new NpmFileProblem(path, '"dependencies" is not an object');
    return readNested(document.dependencies, path);
  }
  if (document.packages === undefined) return { packages: [], problems: [] };
  if (!isObject(document.packages)) throw new NpmFileProblem(path, '"packages" is not an object');
  return readFlat(document.packages, path);
}

function checkCount(count: number, path: string): void {
  if (count > MAX_PACKAGES_PER_DATABASE) throw new NpmFileProblem(path, `more than ${MAX_PACKAGES_PER_DATABASE} packages`);
}

/** Versions 2 and 3: `"node_modules/a/node_modules/@s/b": { "version": …, "dev": … }`. */
function readFlat(entries: Record<string, unknown>, path: string): LockResult {
  const result: LockResult = { packages: [], problems: [] };
  // Only a note needs the entry's place, so it is written out for those alone.
  const where = (installPath: string): string => `${path}, "${installPath.slice(0, 200)}"`;
  for (const [installPath, entry] of Object.entries(entries)) {
    // "" is the project itself; paths without node_modules are workspace sources.
    const at = installPath.lastIndexOf(NODE_MODULES);
    if (at < 0 || (at > 0 && installPath[at - 1] !== '/')) continue;
    if (!isObject(entry)) {
      result.problems.push(new NpmFileProblem(where(installPath), 'the entry is not an object'));
      continue;
    }
    // Links point at workspace folders or local directories: source, not a registry package.
    if (entry.link === true || entry.dev === true) continue;
    let pkg: NpmPackage;
    try {
      // An aliased install (`"foo": "npm:bar@1"`) is at node_modules/foo with `name: "bar"`.
      pkg = npmPackageOf(entry.name ?? installPath.slice(at + NODE_MODULES.length), entry.version, path);
    } catch (err) {
      if (!(err instanceof NpmFileProblem)) throw err;
      result.problems.push(new NpmFileProblem(where(installPath), err.reason));
      continue;
    }
    result.packages.push(pkg);
    checkCount(result.packages.length, path);
  }
  return result;
}

/** Version 1: `"a": { "version": …, "dependencies": { "b": { … } } }`, walked without recursion. */
function readNested(root: Record<string, unknown>, path: string): LockResult {
  const result: LockResult = { packages: [], problems: [] };
  const pending: { dependencies: Record<string, unknown>; depth: number; parent: string }[] = [{ dependencies: root, depth: 1, parent: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.depth > MAX_V1_DEPTH) throw new NpmFileProblem(path, `dependencies nested more than ${MAX_V1_DEPTH} deep`);
    for (const [name, entry] of Object.entries(next.dependencies)) {
      const where = `${path}, "${`${next.parent}${name}`.slice(0, 200)}"`;
      if (!isObject(entry)) {
        result.problems.push(new NpmFileProblem(where, 'the entry is not an object'));
        continue;
      }
      if (isObject(entry.dependencies)) pending.push({ dependencies: entry.dependencies, depth: next.depth + 1, parent: `${next.parent}${name} > ` });
      if (entry.dev === true) continue;
      const found = v1Package(name, entry.version, where, result.problems);
      if (!found) continue;
      result.packages.push(found);
      checkCount(result.packages.length, path);
    }
  }
  return result;
}

/**
 * A v1 `version` is a version, an alias (`npm:bar@1.0.0`), or the source of a package
 * that is not from a registry (`file:…`, `git+https://…#sha`, a tarball URL), which no
 * advisory names.
 */
function v1Package(name: string, version: unknown, where: string, problems: NpmFileProblem[]): NpmPackage | null {
  try {
    if (typeof version === 'string') {
      const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version);
      if (alias) return npmPackageOf(alias[1], alias[2], where);
      if (/^[a-z+]+:|\//i.test(version)) return null;
    }
    return npmPackageOf(name, version, where);
  } catch (err) {
    if (!(err instanceof NpmFileProblem)) throw err;
    problems.push(err);
    return null;
  }
}
