import type { InstalledPackage, OsRelease } from '../inventory.js';
import type { ImageFiles } from '../layers/image-files.js';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE, isSaneToken, textOf, type Analyser, type AnalyserResult } from './analyser.js';
import { failedAnalysis } from './analyser-failure.js';
import { parseControlStanzas } from './control-file.js';
import { ecosystemOf } from './os-release.js';

const STATUS_PATH = 'var/lib/dpkg/status';
/** Distroless images have no `status`, one file per package here instead. */
const STATUS_DIR = 'var/lib/dpkg/status.d';
const FIELDS = new Set(['Package', 'Version', 'Status', 'Source', 'Architecture']);

/**
 * dpkg states whose files are on disk: all but `not-installed` and `config-files` (only
 * configuration left after a remove). `half-configured`, `unpacked` and the trigger states
 * are packages mid-upgrade, but their (vulnerable) files are there all the same.
 */
const ABSENT_STATES = new Set(['not-installed', 'config-files']);

export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string | null;
  sourceName: string;
  sourceVersion: string;
}

export const dpkgAnalyser: Analyser = {
  name: 'dpkg',
  version: '1',
  paths: [STATUS_PATH, `${STATUS_DIR}/*`],
  analyse(files: ImageFiles, os: OsRelease | null): AnalyserResult {
    let sources: { path: string; bytes: Buffer }[];
    try {
      sources = databaseFiles(files);
    } catch (err) {
      // A status file too large to read fails this analyser alone.
      return failedAnalysis('dpkg packages', err);
    }
    if (sources.length === 0) return { found: false, packages: [], notes: [] };
    const ecosystem = os ? ecosystemOf(os) : null;
    const found: { path: string; pkg: DpkgPackage }[] = [];
    for (const { path, bytes } of sources) {
      for (const pkg of parseDpkgStatus(textOf(bytes, path), path)) found.push({ path, pkg });
      if (found.length > MAX_PACKAGES_PER_DATABASE) throw new AnalyserError(`${STATUS_PATH} lists more than ${MAX_PACKAGES_PER_DATABASE} packages`);
    }
    if (!ecosystem) {
      const release = os ? `${os.prettyName ?? os.id} has no OSV ecosystem` : 'the distribution is unknown';
      return { found: true, packages: [], notes: [`dpkg lists ${found.length} packages, but ${release}: they are not matched`] };
    }
    return { found: true, packages: dedupe(found.map(({ path, pkg }) => toInstalled(pkg, ecosystem, path))), notes: [] };
  },
};

function databaseFiles(files: ImageFiles): { path: string; bytes: Buffer }[] {
  const found: { path: string; bytes: Buffer }[] = [];
  const status = files.read(STATUS_PATH);
  if (status) found.push({ path: STATUS_PATH, bytes: status });
  for (const path of files.list(STATUS_DIR)) {
    // Newer distroless images keep `<package>.md5sums` beside each control file.
    if (path.endsWith('.md5sums')) continue;
    const bytes = files.read(path);
    if (bytes) found.push({ path, bytes });
  }
  return found;
}

/** The installed packages of a dpkg status file (or of one `status.d` file). */
export function parseDpkgStatus(text: string, path: string): DpkgPackage[] {
  const packages: DpkgPackage[] = [];
  for (const stanza of parseControlStanzas(text, FIELDS, path)) {
    const name = stanza.get('Package');
    if (!name || !isSaneToken(name) || !/^[A-Za-z0-9][A-Za-z0-9+._-]*$/.test(name)) {
      throw new AnalyserError(`${path} is malformed: a stanza has ${name ? `the invalid package name "${name.slice(0, 64)}"` : 'no Package field'}`);
    }
    if (!isInstalled(stanza.get('Status'))) continue;
    const version = stanza.get('Version');
    if (!version || !isDebianVersion(version)) {
      throw new AnalyserError(`${path} is malformed: package ${name} has ${version ? `the invalid version "${version.slice(0, 64)}"` : 'no Version'}`);
    }
    const source = parseSource(stanza.get('Source'), name, version, path);
    packages.push({ name, version, architecture: stanza.get('Architecture') ?? null, ...source });
  }
  return packages;
}

/** `Status: <want> <flag> <state>`; status.d stanzas carry none and are installed. */
function isInstalled(status: string | undefined): boolean {
  if (status === undefined) return true;
  const state = status.split(/\s+/)[2];
  return state !== undefined && !ABSENT_STATES.has(state);
}

function isDebianVersion(version: string): boolean {
  return isSaneToken(version) && /^[A-Za-z0-9.+~:_-]+$/.test(version);
}

/**
 * `Source: glibc` names the source package built at the binary's version;
 * `Source: util-linux (2.38.1-5+deb12u3)` carries its own version (a binNMU or a binary
 * versioned apart from its source). No Source: the source has the binary's name.
 */
function parseSource(field: string | undefined, name: string, version: string, path: string): { sourceName: string; sourceVersion: string } {
  if (!field) return { sourceName: name, sourceVersion: version };
  const match = /^(\S+)(?:\s+\((\S+)\))?$/.exec(field);
  const sourceName = match?.[1];
  const sourceVersion = match?.[2] ?? version;
  if (!sourceName || !isSaneToken(sourceName) || !isDebianVersion(sourceVersion)) {
    throw new AnalyserError(`${path} is malformed: package ${name} has the invalid Source "${field.slice(0, 64)}"`);
  }
  return { sourceName, sourceVersion };
}

function toInstalled(pkg: DpkgPackage, ecosystem: string, path: string): InstalledPackage {
  return { ecosystem, name: pkg.name, version: pkg.version, sourceName: pkg.sourceName, sourceVersion: pkg.sourceVersion, path };
}

/** Multi-arch installs list a package once per architecture; the inventory needs it once. */
function dedupe(packages: InstalledPackage[]): InstalledPackage[] {
  const seen = new Map<string, InstalledPackage>();
  for (const pkg of packages) seen.set(`${pkg.name}\n${pkg.version}`, seen.get(`${pkg.name}\n${pkg.version}`) ?? pkg);
  return [...seen.values()];
}
