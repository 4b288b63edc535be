import { type InstalledPackage, type OsRelease, sourceFileOf } from '../scanners/builtin/inventory.js';
import { formatPurl } from './purl-format.js';

/** The purl types this service writes: one per package database it reads. */
export type PurlType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi';

/**
 * The purl type of a package, from the file it was read from: the OSV ecosystem names a
 * distribution (`Wolfi`, `Red Hat:…`), not the package manager, but the database's path does.
 */
export function purlTypeOf(pkg: Pick<InstalledPackage, 'ecosystem' | 'path'>): PurlType | null {
  if (pkg.ecosystem === 'npm') return 'npm';
  if (pkg.ecosystem === 'PyPI') return 'pypi';
  const file = sourceFileOf(pkg.path);
  if (file.startsWith('var/lib/dpkg/')) return 'deb';
  if (file.startsWith('lib/apk/db/')) return 'apk';
  if (/(^|\/)rpm(\/|$)/.test(file)) return 'rpm';
  return null;
}

/**
 * The vendor namespace of a distribution's purls, as purl-spec's examples and other
 * scanners write them: `redhat` for Red Hat Enterprise Linux, `opensuse` and `suse`
 * for the SUSE family, else the os-release `ID`.
 */
const NAMESPACES: Readonly<Record<string, string>> = {
  rhel: 'redhat',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  sles: 'suse',
  amzn: 'amazon',
};

/**
 * The package's purl (https://github.com/package-url/purl-spec), or null for a package of
 * a type we do not know how to name. OS packages carry `distro=ID-VERSION_ID` (Debian's
 * `debian-12`); an rpm epoch goes into the `epoch` qualifier, as the rpm type asks, while a
 * deb version keeps its epoch. No `arch`: the inventory does not record each package's
 * architecture, and the image's would be wrong for `Architecture: all` packages.
 */
export function purlOf(pkg: InstalledPackage, os: OsRelease | null): string | null {
  const type = purlTypeOf(pkg);
  if (type === null) return null;
  if (type === 'npm') return npmPurl(pkg);
  // PEP 503's normalised name, as the pypi type asks.
  if (type === 'pypi') return formatPurl({ type, namespace: null, name: pkg.name.toLowerCase().replace(/[-_.]+/g, '-'), version: pkg.version, qualifiers: null, subpath: null });
  if (os === null) return null;
  const namespace = NAMESPACES[os.id] ?? os.id;
  const qualifiers: Record<string, string> = {};
  if (os.versionId) qualifiers['distro'] = `${os.id}-${os.versionId}`;
  let version = pkg.version;
  if (type === 'rpm') {
    const epoch = /^(\d+):(.*)$/.exec(version);
    if (epoch?.[1] !== undefined && epoch[2] !== undefined) {
      qualifiers['epoch'] = epoch[1];
      version = epoch[2];
    }
  }
  // deb and apk names are case-insensitive and written lower-case; rpm names are not.
  const name = type === 'rpm' ? pkg.name : pkg.name.toLowerCase();
  return formatPurl({ type, namespace, name, version, qualifiers, subpath: null });
}

/** `@scope/name` is the namespace `@scope` and the name `name`, both lower-case as npm now requires. */
function npmPurl(pkg: InstalledPackage): string {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(pkg.name);
  const namespace = scoped?.[1]?.toLowerCase() ?? null;
  const name = (scoped?.[2] ?? pkg.name).toLowerCase();
  return formatPurl({ type: 'npm', namespace, name, version: pkg.version, qualifiers: null, subpath: null });
}
