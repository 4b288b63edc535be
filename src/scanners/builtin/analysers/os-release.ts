import type { OsRelease } from '../inventory.js';
import type { ImageFiles } from '../layers/image-files.js';
import { AnalyserError } from './analyser.js';

/** os-release(5): `/etc/os-release` first, `/usr/lib/os-release` as the fallback. */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;
export const OS_RELEASE_DETECTOR = { name: 'os-release', version: '1' } as const;

/** Parses os-release's shell-like `KEY=value` lines (values optionally quoted, with escapes). */
export function parseOsReleaseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    fields.set(match[1], unquote(match[2] ?? ''));
  }
  return fields;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\([\\"$`])/g, '$1') : inner;
  }
  return value;
}

/** os-release files are a few hundred bytes; the bound keeps a hostile one from costing much. */
const MAX_FIELD_LENGTH = 256;

export function readOsRelease(files: ImageFiles): OsRelease | null {
  for (const path of OS_RELEASE_PATHS) {
    const bytes = readIfPossible(files, path);
    if (!bytes) continue;
    const fields = parseOsReleaseFields(bytes.toString('utf8'));
    const id = (fields.get('ID') ?? '').toLowerCase();
    if (!/^[a-z0-9._-]{1,64}$/.test(id)) continue;
    return {
      id,
      versionId: bounded(fields.get('VERSION_ID')) ?? versionFromCodename(id, fields.get('VERSION_CODENAME')),
      prettyName: bounded(fields.get('PRETTY_NAME')),
    };
  }
  return null;
}

/** An os-release too large to read is no more use than one without an ID: the next path is tried. */
function readIfPossible(files: ImageFiles, path: string): Buffer | null {
  try {
    return files.read(path);
  } catch (err) {
    if (err instanceof AnalyserError) return null;
    throw err;
  }
}

function bounded(value: string | undefined): string | null {
  if (!value) return null;
  return value.slice(0, MAX_FIELD_LENGTH);
}

/**
 * Debian testing and unstable ship no VERSION_ID, only a codename; the release it will
 * become is what OSV names. Released codenames map the same way.
 */
const DEBIAN_CODENAMES: Record<string, string> = {
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

function versionFromCodename(id: string, codename: string | undefined): string | null {
  if (id !== 'debian' || !codename) return null;
  return DEBIAN_CODENAMES[codename] ?? null;
}

/**
 * The OSV ecosystem of a distribution release, as OSV spells it (the `ecosystems.json`
 * list of the OSV schema, with each ecosystem's release naming): `Debian:12`,
 * `Ubuntu:22.04:LTS` (LTS releases carry the suffix), `Alpine:v3.19`, `Rocky Linux:9`,
 * `AlmaLinux:9`, `Red Hat:enterprise_linux:9::baseos`, `Azure Linux:3`, `Photon OS:5.0`,
 * `openEuler:22.03-LTS-SP1`, `SUSE:Linux Enterprise Server 15 SP5`, `openSUSE:Leap 15.5`,
 * `Mageia:9`, `Alpaquita:23`, `Wolfi`, `Chainguard`, `MinimOS`; null when OSV has no data
 * for the distribution (Fedora, Amazon Linux, CentOS, Oracle Linux, CBL-Mariner) or the
 * release is unknown.
 */
export function ecosystemOf(os: OsRelease): string | null {
  const version = os.versionId ?? '';
  const major = /^(\d+)/.exec(version)?.[1];
  switch (os.id) {
    case 'debian':
      return major ? `Debian:${major}` : null;
    case 'ubuntu': {
      const release = /^(\d{2}\.\d{2})/.exec(version)?.[1];
      if (!release) return null;
      return isUbuntuLts(release, os.prettyName) ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
    }
    case 'alpine': {
      const minor = /^(\d+\.\d+)/.exec(version)?.[1];
      return minor ? `Alpine:v${minor}` : null;
    }
    case 'rhel':
      // Red Hat's records are scoped to a product stream; packages of an image come from
      // BaseOS or AppStream, and the RPM analyser matches both (see rpm/rpm-ecosystems.ts).
      return major ? `Red Hat:enterprise_linux:${major}::baseos` : null;
    case 'rocky':
      return major ? `Rocky Linux:${major}` : null;
    case 'almalinux':
      return major ? `AlmaLinux:${major}` : null;
    case 'azurelinux':
      // Azure Linux 3.0 onwards; its predecessor CBL-Mariner (`mariner`) has no OSV data.
      return major ? `Azure Linux:${major}` : null;
    case 'photon': {
      const minor = /^(\d+\.\d+)/.exec(version)?.[1] ?? (major ? `${major}.0` : null);
      return minor ? `Photon OS:${minor}` : null;
    }
    case 'openeuler':
      return openEulerEcosystem(version, os.prettyName);
    case 'mageia':
      return major ? `Mageia:${major}` : null;
    case 'alpaquita':
      return version ? `Alpaquita:${version}` : null;
    case 'sles':
    case 'sled':
    case 'sle-micro':
    case 'sles_sap':
      // OSV's release is PRETTY_NAME without the vendor: "SUSE Linux Enterprise Server 15 SP5".
      return suseRelease('SUSE', os.prettyName);
    case 'opensuse-leap':
    case 'opensuse-tumbleweed':
    case 'opensuse-leap-micro':
    case 'opensuse-microos':
      return suseRelease('openSUSE', os.prettyName);
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    case 'minimos':
      return 'MinimOS';
    default:
      return null;
  }
}

/** `SUSE:Linux Enterprise Server 15 SP5` from "SUSE Linux Enterprise Server 15 SP5", `openSUSE:Leap 15.5` from "openSUSE Leap 15.5". */
function suseRelease(vendor: 'SUSE' | 'openSUSE', prettyName: string | null): string | null {
  if (!prettyName?.startsWith(`${vendor} `)) return null;
  const release = prettyName.slice(vendor.length + 1).trim();
  return release ? `${vendor}:${release}` : null;
}

/** openEuler's advisories cover its LTS releases: "openEuler 22.03 (LTS-SP1)" → `openEuler:22.03-LTS-SP1`. */
function openEulerEcosystem(version: string, prettyName: string | null): string | null {
  const release = /^(\d{2}\.\d{2})$/.exec(version)?.[1];
  if (!release) return null;
  const lts = /\((LTS(?:-SP\d+)?)\)/.exec(prettyName ?? '')?.[1];
  return lts ? `openEuler:${release}-${lts}` : `openEuler:${release}`;
}

/** How people name distributions whose PRETTY_NAME says little ("CBL-Mariner/Linux"), for notes. */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  mariner: 'CBL-Mariner',
  fedora: 'Fedora',
  amzn: 'Amazon Linux',
  centos: 'CentOS',
  ol: 'Oracle Linux',
  arch: 'Arch Linux',
  gentoo: 'Gentoo',
  photon: 'Photon OS',
};

/**
 * Where an OS package database's packages are matched: the OSV ecosystem when there is
 * one, else a name for the release that no advisory uses (`CBL-Mariner:2.0`), so that
 * the inventory keeps its packages while the image says that they went unmatched.
 */
export interface Distribution {
  ecosystem: string;
  /** Whether OSV publishes advisories for it. */
  covered: boolean;
  /** "CBL-Mariner 2.0", for notes. */
  label: string;
}

export function distributionOf(os: OsRelease | null): Distribution {
  if (!os) return { ecosystem: 'unknown', covered: false, label: 'an unidentified distribution' };
  const name = DISPLAY_NAMES[os.id] ?? os.prettyName ?? os.id;
  const label = os.versionId && !name.includes(os.versionId) ? `${name} ${os.versionId}` : name;
  const ecosystem = ecosystemOf(os);
  if (ecosystem) return { ecosystem, covered: true, label };
  return { ecosystem: os.versionId ? `${name}:${os.versionId}` : name, covered: false, label };
}

/** Ubuntu says "LTS" in VERSION and PRETTY_NAME; failing that, LTS releases are the April ones of even years. */
function isUbuntuLts(release: string, text: string | null): boolean {
  if (text && /\bLTS\b/.test(text)) return true;
  const [year, month] = release.split('.').map(Number);
  return month === 4 && (year ?? 1) % 2 === 0;
}
