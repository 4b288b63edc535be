/**
 * One ecosystem's version ordering. Advisory ranges are only meaningful under the exact
 * ordering of the ecosystem that published them, so every ecosystem gets its own module
 * behind this interface, listed in `registry.ts`.
 */
export interface VersionComparator {
  /** The OSV ecosystem (base name, no release) whose published rules the module implements. */
  readonly ecosystem: string;
  /** Negative when `a` sorts before `b`, zero when they are equal, positive after. Total on any input. */
  compare(a: string, b: string): number;
  /** Whether the ecosystem's own tools accept `version` as well-formed. */
  isValid(version: string): boolean;
}
