import type { OsRelease } from '../../inventory.js';
import { ecosystemOf } from '../os-release.js';

/**
 * The OSV ecosystems an RPM distribution's packages are matched in. Red Hat's records name
 * a product stream (`Red Hat:enterprise_linux:9::baseos`, `…::appstream`); which stream a
 * package came from is not in the package database, but a package name ships in only one
 * of the two, so a package is listed under both and is matched by whichever names it.
 */
export function rpmEcosystemsOf(os: OsRelease): string[] {
  const ecosystem = ecosystemOf(os);
  if (ecosystem === null) return [];
  const baseos = /^(Red Hat:enterprise_linux:\d+::)baseos$/.exec(ecosystem);
  return baseos ? [ecosystem, `${baseos[1]}appstream`] : [ecosystem];
}
