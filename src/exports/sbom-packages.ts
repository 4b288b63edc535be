import type { Inventory } from '../scanners/builtin/inventory.js';
import { purlOf, purlTypeOf } from './purl.js';

/** A package as both SBOM formats list it. */
export interface SbomPackage {
  /** Unique within the document: the purl, or a made-up reference when there is none. */
  ref: string;
  name: string;
  version: string;
  purl: string | null;
  ecosystem: string;
  sourceName: string | null;
  sourceVersion: string | null;
  path: string;
  /** Installed by the OS package manager (deb, apk, rpm), not a language package. */
  fromOs: boolean;
}

/**
 * The inventory's packages, each once: Red Hat's packages are inventoried under two OSV
 * ecosystems (baseos and appstream) for matching, and multilib installs repeat a name and
 * version; an SBOM lists a package once.
 */
export function sbomPackages(inventory: Inventory): SbomPackage[] {
  const seen = new Map<string, SbomPackage>();
  for (const pkg of inventory.packages) {
    const purl = purlOf(pkg, inventory.os);
    const type = purlTypeOf(pkg);
    const ref = purl ?? `${pkg.ecosystem}/${pkg.name}@${pkg.version}`;
    if (seen.has(ref)) continue;
    seen.set(ref, {
      ref,
      name: pkg.name,
      version: pkg.version,
      purl,
      ecosystem: pkg.ecosystem,
      sourceName: pkg.sourceName,
      sourceVersion: pkg.sourceVersion,
      path: pkg.path,
      fromOs: type === 'deb' || type === 'apk' || type === 'rpm',
    });
  }
  return [...seen.values()];
}
