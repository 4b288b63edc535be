import { printable } from '../../layers/entry-path.js';
import { isSaneToken } from '../analyser.js';
import { parseSemVer } from '../../versioning/semver.js';

/** An npm package as a lock file or an installed `package.json` names it. */
export interface NpmPackage {
  name: string;
  version: string;
}

/** Why one entry or file was left out; the analyser turns these into notes. */
export class NpmFileProblem extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    // Paths are the image's words: shortened and stripped of control characters for notes.
    super(`${printable(path)}: ${reason}`);
    this.name = 'NpmFileProblem';
  }
}

// npm's own limit on names (validate-npm-package-name); scoped names are `@scope/name`.
const MAX_NAME_LENGTH = 214;
const NAME = /^(?:@[^/@\s]+\/)?[^/@\s][^/\s]*$/;

export function isNpmPackageName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && isSaneToken(name, MAX_NAME_LENGTH) && NAME.test(name);
}

/** `major.minor.patch`, no leading zeros, nothing around: what `cleanNpmVersion` gives back unchanged. */
const PLAIN_VERSION = /^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$/;

/**
 * The version as npm writes it once it has read it: `v1.2.3` and surrounding spaces are
 * dropped, as node-semver does. Null when it is not SemVer, which npm refuses to install;
 * such a version would sort below every advisory's `fixed` and look affected by all.
 */
export function cleanNpmVersion(version: string): string | null {
  // Nearly every installed version is already clean: it is its own clean form. (Long
  // ones take the full parse, which knows node-semver's bound on length.)
  if (version.length <= 64 && PLAIN_VERSION.test(version)) return version;
  const parsed = parseSemVer(version);
  if (!parsed) return null;
  const prerelease = parsed.prerelease.length > 0 ? `-${parsed.prerelease.join('.')}` : '';
  const build = parsed.build.length > 0 ? `+${parsed.build.join('.')}` : '';
  return `${parsed.major}.${parsed.minor}.${parsed.patch}${prerelease}${build}`;
}

/** Checks a name and version from a file; throws an `NpmFileProblem` naming what is wrong. */
export function npmPackageOf(name: unknown, version: unknown, path: string): NpmPackage {
  if (typeof name !== 'string' || !isNpmPackageName(name)) {
    throw new NpmFileProblem(path, typeof name === 'string' ? `the invalid package name "${name.slice(0, 64)}"` : 'no package name');
  }
  if (typeof version !== 'string') throw new NpmFileProblem(path, `${name} has no version`);
  const clean = cleanNpmVersion(version);
  if (clean === null) throw new NpmFileProblem(path, `${name} has the version "${version.slice(0, 64)}", which is not SemVer`);
  return { name, version: clean };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
