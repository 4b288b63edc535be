import { AnalyserError } from '../analysers/analyser.js';
import { formatBytes, formatSize } from './decompress.js';
import { isNormalPath, parentOf, printable } from './entry-path.js';
import type { LayerContents, LayerEntry } from './layer-reader.js';

/**
 * The files of interest of a whole image: the layers applied in order, each one's
 * whiteouts and opaque directories removing what the layers below left, so that a
 * package database deleted or replaced later is seen as the last layer leaves it.
 */
export interface ImageFiles {
  /**
   * Content of a file, following symlinks inside the image; null when absent or not kept.
   * Throws an `AnalyserError` for a file larger than the bytes read per file: the
   * analyser that needs it fails, with a note, and the others go on.
   */
  read(path: string): Buffer | null;
  /** Whether a file (read, only noted, or too large to read) exists at the path, following symlinks. */
  exists(path: string): boolean;
  /** Paths of the files (read, noted or too large) directly inside a directory, sorted. */
  list(dir: string): string[];
  /** Paths of every file (read, noted or too large; as the layers name them, symlinks not followed), sorted. */
  allFiles(): string[];
}

/** Linux's own bound on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

export function mergeLayers(layers: readonly LayerContents[]): ImageFiles {
  const entries = new Map<string, LayerEntry>();
  const parents = new Set<string>();
  for (const layer of layers) applyLayer(entries, parents, layer);
  return imageFilesOf(entries);
}

/**
 * `parents` holds every directory that has (or once had) an entry below it, so that the
 * common case, a file that replaces nothing, costs a lookup instead of a walk over all
 * entries: images with tens of thousands of package manifests would otherwise merge in
 * quadratic time.
 */
function applyLayer(entries: Map<string, LayerEntry>, parents: Set<string>, layer: LayerContents): void {
  for (const dir of layer.opaqueDirs) removeBelow(entries, parents, dir, false);
  for (const path of layer.whiteouts) removeBelow(entries, parents, path, true);
  for (const [path, entry] of layer.entries) {
    // A file or symlink replaces a directory of the layers below with everything in it;
    // a directory over a directory merges.
    if (entry.kind !== 'directory') removeBelow(entries, parents, path, false);
    entries.set(path, entry);
    for (let dir = parentOf(path); !parents.has(dir); dir = parentOf(dir)) {
      parents.add(dir);
      if (dir === '') break;
    }
  }
}

/** Deletes everything under `path` (and `path` itself when `inclusive`); `''` is the root. */
function removeBelow(entries: Map<string, LayerEntry>, parents: ReadonlySet<string>, path: string, inclusive: boolean): void {
  if (inclusive) entries.delete(path);
  if (!parents.has(path)) return;
  const prefix = path === '' ? '' : `${path}/`;
  for (const key of [...entries.keys()]) {
    if (key.startsWith(prefix)) entries.delete(key);
  }
}

function imageFilesOf(entries: ReadonlyMap<string, LayerEntry>): ImageFiles {
  const symlinks = new Set<string>();
  for (const [path, entry] of entries) if (entry.kind === 'symlink') symlinks.add(path);
  // Analysers read tens of thousands of manifests, nearly all through no symlink at all.
  const lookup = (path: string): string | null => (isNormalPath(path) && !passesSymlink(symlinks, path) ? path : resolvePath(entries, path));
  const resolve = (path: string): LayerEntry | null => {
    const resolved = lookup(path);
    return resolved === null ? null : (entries.get(resolved) ?? null);
  };
  let sortedFiles: string[] | null = null;
  return {
    read(path) {
      const entry = resolve(path);
      if (entry?.kind === 'too-large') {
        throw new AnalyserError(`${printable(path)} is ${formatSize(entry.size)}, larger than the ${formatBytes(entry.limit)} read per file`);
      }
      return entry?.kind === 'file' ? entry.data : null;
    },
    exists(path) {
      const entry = resolve(path);
      return entry !== null && isFile(entry);
    },
    list(dir) {
      const resolvedDir = lookup(dir) ?? dir;
      const prefix = resolvedDir === '' ? '' : `${resolvedDir}/`;
      const found: string[] = [];
      for (const [key, entry] of entries) {
        if (!key.startsWith(prefix) || key.slice(prefix.length).includes('/')) continue;
        if (isFile(entry)) found.push(key);
      }
      return found.sort();
    },
    allFiles() {
      // Several analysers walk every file: the image does not change, so it is sorted once.
      sortedFiles ??= sortedFilesOf(entries);
      return sortedFiles.slice();
    },
  };
}

function sortedFilesOf(entries: ReadonlyMap<string, LayerEntry>): string[] {
  const found: string[] = [];
  for (const [key, entry] of entries) if (isFile(entry)) found.push(key);
  return found.sort();
}

function isFile(entry: LayerEntry): boolean {
  return entry.kind === 'file' || entry.kind === 'present' || entry.kind === 'too-large';
}

/** Whether the path, or a directory above it, is a symlink. */
function passesSymlink(symlinks: ReadonlySet<string>, path: string): boolean {
  if (symlinks.size === 0) return false;
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (symlinks.has(path.slice(0, slash))) return true;
  }
  return symlinks.has(path);
}

/**
 * The path a lookup lands on once every symlink on the way is followed, the image's root
 * standing for `/`: absolute targets start from the image root and `..` never climbs above
 * it, so a link cannot lead outside the image. Null on a symlink loop.
 */
export function resolvePath(entries: ReadonlyMap<string, LayerEntry>, path: string): string | null {
  const pending = path.split('/').reverse();
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.pop() ?? '';
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const entry = entries.get(resolved.join('/'));
    if (entry?.kind !== 'symlink') continue;
    if (++hops > MAX_SYMLINK_HOPS) return null;
    resolved.pop();
    if (entry.target.startsWith('/')) resolved.length = 0;
    pending.push(...entry.target.split('/').reverse());
  }
  return resolved.join('/');
}
