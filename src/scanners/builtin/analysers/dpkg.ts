import type { InstalledPackage, OsRelease } from '../inventory.js';
import type { ImageFiles } from '../layers/image-files.js';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE, isSaneToken, textOf, type Analyser, type AnalyserResult } from './analyser.js';
import { failedAnalysis } from './analyser-failure.js';
import { parseControlStanzas } from './control-file.js';
import { distributionOf } from './os-release.js';

const STATUS_PATH = 'var/lib/dpkg/status';
/** Distroless images have no `status`, one file per package here instead. */
const STATUS_DIR = 'var/lib/dpkg/status.d';
/** `info/<package>[:<arch>].list`: every path a package installed, one absolute path a line. */
const FILE_LISTS = 'var/lib/dpkg/info/*.list';
const INFO_DIR = 'var/lib/dpkg/info';
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
  role: 'os',
  version: '2',
  paths: [STATUS_PATH, `${STATUS_DIR}/*`, FILE_LISTS],
  analyse(files: ImageFiles, os: OsRelease | null): AnalyserResult {
    const databasePaths = [...(files.exists(STATUS_PATH) ? [STATUS_PATH] : []), ...files.list(STATUS_DIR).filter((path) => !path.endsWith('.md5sums'))];
    if (databasePaths.length === 0) return { found: false, packages: [], notes: [] };
    let sources: { path: string; bytes: Buffer }[];
    try {
      // A status file too large to read fails this analyser alone; a malformed one, the image.
      sources = databasePaths.map((path) => ({ path, bytes: files.read(path) ?? Buffer.alloc(0) }));
    } catch (err) {
      return failedAnalysis('dpkg packages', err, databasePaths);
    }
    const found = readPackages(sources);
    const distribution = distributionOf(os);
    const packages = dedupe(found.map(({ path, pkg }) => toInstalled(pkg, distribution.ecosystem, path)));
    const result: AnalyserResult = { found: true, packages, notes: [], ownedFiles: ownedFiles(files) };
    if (distribution.covered) return result;
    const gap = { distribution: distribution.label, ecosystem: distribution.ecosystem, path: databasePaths[0] ?? STATUS_PATH, packages: packages.length };
    return { ...result, gap, unsettled: databasePaths };
  },
};

function readPackages(sources: readonly { path: string; bytes: Buffer }[]): { path: string; pkg: DpkgPackage }[] {
  const found: { path: string; pkg: DpkgPackage }[] = [];
  for (const { path, bytes } of sources) {
    for (const pkg of parseDpkgStatus(textOf(bytes, path), path)) found.push({ path, pkg });
    if (found.length > MAX_PACKAGES_PER_DATABASE) throw new AnalyserError(`${STATUS_PATH} lists more than ${MAX_PACKAGES_PER_DATABASE} packages`);
  }
  return found;
}

/**
 * The files dpkg installed: `info/*.list` (absolute paths), and for distroless images the
 * `status.d/*.md5sums` (`<md5>  <relative path>`). A list that cannot be read only means
 * fewer files are known to be the distribution's.
 */
function* ownedFiles(files: ImageFiles): Generator<string> {
  for (const path of files.list(INFO_DIR)) {
    if (path.endsWith('.list')) yield* listedPaths(files, path, (line) => line);
  }
  for (const path of files.list(STATUS_DIR)) {
    if (path.endsWith('.md5sums')) yield* listedPaths(files, path, (line) => line.slice(line.indexOf('  ') + 2));
  }
}

function* listedPaths(files: ImageFiles, path: string, pathOf: (line: string) => string): Generator<string> {
  let bytes: Buffer | null;
  try {
    bytes = files.read(path);
  } catch (err) {
    if (err instanceof AnalyserError) return;
    throw err;
  }
  if (!bytes) return;
  for (const line of bytes.toString('utf8').split('\n')) {
    const owned = pathOf(line).replace(/^\/+/, '');
    if (owned !== '' && owned !== '.') yield owned;
  }
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
