import type { InstalledPackage, OsRelease } from '../../inventory.js';
import type { ImageFiles } from '../../layers/image-files.js';
import type { Analyser, AnalyserResult } from '../analyser.js';
import { failedAnalysis } from '../analyser-failure.js';
import { parseSourceRpm, type RpmHeaderPackage } from './rpm-header.js';
import { rpmEcosystemsOf } from './rpm-ecosystems.js';
import { distributionOf } from '../os-release.js';
import { readRpmBerkeley } from './rpmdb-berkeley.js';
import { readRpmSqlite } from './rpmdb-sqlite.js';

/**
 * Where rpm keeps its SQLite database: `/var/lib/rpm` (RHEL 9 and its rebuilds, Amazon
 * Linux 2023), `/usr/lib/sysimage/rpm` (Fedora 36+, where `/var/lib/rpm` links to it).
 */
export const RPM_SQLITE_PATHS = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'] as const;

/**
 * Where rpm kept its BerkeleyDB database before 4.16 (RHEL and CentOS 7 and 8, Amazon
 * Linux 2, older Fedora). SUSE's NDB format (`Packages.db`) is listed as unread in the
 * registry.
 */
export const RPM_BERKELEY_PATHS = ['var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/Packages'] as const;

interface RpmDatabaseFile {
  path: string;
  read(bytes: Buffer, path: string): RpmHeaderPackage[];
}

/** Public keys imported with `rpm --import` are stored as pseudo-packages of this name. */
const PUBKEY_PACKAGE = 'gpg-pubkey';

export const rpmAnalyser: Analyser = {
  name: 'rpm',
  role: 'os',
  version: '3',
  paths: [...RPM_SQLITE_PATHS, ...RPM_BERKELEY_PATHS],
  analyse(files: ImageFiles, os: OsRelease | null): AnalyserResult {
    const database = firstDatabase(files);
    if (!database) return { found: false, packages: [], notes: [] };
    let headers: RpmHeaderPackage[];
    try {
      // Inside the try: a database over the per-file read limit throws here, failing this analyser only.
      const bytes = files.read(database.path) ?? Buffer.alloc(0);
      headers = database.read(bytes, database.path).filter((header) => header.name !== PUBKEY_PACKAGE);
    } catch (err) {
      return failedAnalysis('RPM packages', err, [database.path]);
    }
    const distribution = distributionOf(os);
    const ecosystems = distribution.covered && os ? rpmEcosystemsOf(os) : [distribution.ecosystem];
    const packages = dedupe(ecosystems.flatMap((ecosystem) => headers.map((header) => toInstalled(header, ecosystem, database.path))));
    const result: AnalyserResult = { found: true, packages, notes: [], ownedFiles: headers.flatMap((header) => header.files) };
    if (distribution.covered) return result;
    const gap = { distribution: distribution.label, ecosystem: distribution.ecosystem, path: database.path, packages: headers.length };
    return { ...result, gap, unsettled: [database.path] };
  },
};

/**
 * The first database present, SQLite before BerkeleyDB: rpm ≥ 4.16 reads only the one its
 * configuration names, and an image upgraded past the conversion may still carry the old
 * `Packages` beside the current SQLite database. On Fedora both paths of a format lead to
 * the same file through a symlink.
 */
function firstDatabase(files: ImageFiles): RpmDatabaseFile | null {
  const sqlite = RPM_SQLITE_PATHS.find((path) => files.exists(path));
  if (sqlite) return { path: sqlite, read: readRpmSqlite };
  const berkeley = RPM_BERKELEY_PATHS.find((path) => files.exists(path));
  return berkeley ? { path: berkeley, read: readRpmBerkeley } : null;
}

/** `epoch:version-release` as advisories write it; no epoch when the package has none (it compares as 0). */
export function evrOf(epoch: number | null, version: string, release: string): string {
  return `${epoch === null ? '' : `${epoch}:`}${version}-${release}`;
}

function toInstalled(header: RpmHeaderPackage, ecosystem: string, path: string): InstalledPackage {
  const source = header.sourceRpm ? parseSourceRpm(header.sourceRpm) : null;
  return {
    ecosystem,
    name: header.name,
    version: evrOf(header.epoch, header.version, header.release),
    sourceName: source?.name ?? null,
    // A source RPM's file name carries no epoch; its binaries share the source's.
    sourceVersion: source ? evrOf(header.epoch, source.version, source.release) : null,
    path,
  };
}

/** Multilib installs (x86_64 and i686 of one package) list a name and version twice. */
function dedupe(packages: InstalledPackage[]): InstalledPackage[] {
  const seen = new Map<string, InstalledPackage>();
  for (const pkg of packages) {
    const key = `${pkg.ecosystem}\n${pkg.name}\n${pkg.version}`;
    if (!seen.has(key)) seen.set(key, pkg);
  }
  return [...seen.values()];
}
