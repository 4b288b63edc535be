import type { Readable } from 'node:stream';
import { chunksOf } from '../stream-chunks.js';
import { decompressLayer, formatBytes } from './decompress.js';
import { baseNameOf, joinPath, normaliseEntryPath, parentOf } from './entry-path.js';
import { ImageBudget, unlimitedBudget } from './image-budget.js';
import { LayerError } from './layer-error.js';
import type { PathSelector } from './path-selector.js';
import { TarFormatError, type TarHeader, TarParser, type TarVisitor } from './tar-parser.js';

export interface LayerLimits {
  /** Bytes a layer may expand to (and may have compressed): the decompression-bomb bound. */
  maxLayerBytes: number;
  /** Bytes of one file kept for an analyser. */
  maxFileBytes: number;
  /** Bytes of all files kept from one layer. */
  maxKeptBytes: number;
  /** Tar entries in one layer (a full distribution has some 100 000). */
  maxEntries: number;
}

export const DEFAULT_LAYER_LIMITS: Readonly<LayerLimits> = Object.freeze({
  maxLayerBytes: 4 * 1024 ** 3,
  maxFileBytes: 64 * 1024 ** 2,
  maxKeptBytes: 256 * 1024 ** 2,
  maxEntries: 1_000_000,
});

/** What one layer says about a path that matters. */
export type LayerEntry =
  | { kind: 'file'; data: Buffer }
  /** A file of interest that is not read, only known to exist (a database no analyser reads). */
  | { kind: 'present' }
  | { kind: 'symlink'; target: string }
  | { kind: 'directory' }
  /**
   * A file of interest larger than `limit`, the bytes read per file: skipped unread, so
   * that only the analyser that asks for it fails (reading it throws), not the image.
   */
  | { kind: 'too-large'; size: number; limit: number };

export interface LayerContents {
  /** Paths of interest (and directories and symlinks above them), as this layer leaves them. */
  entries: Map<string, LayerEntry>;
  /** Paths this layer deletes from the layers below (`.wh.<name>` files). */
  whiteouts: string[];
  /** Directories whose content in the layers below this layer hides (`.wh..wh..opq`). */
  opaqueDirs: string[];
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Streams one layer blob, keeping only what `selector` asks for. Nothing is written to
 * disk; memory is bounded by the limits. Fails with a `LayerError` (or the blob's own
 * error, e.g. a digest mismatch) and destroys the blob stream when it does.
 */
export async function readLayer(blob: Readable, selector: PathSelector, limits: LayerLimits, what: string, budget: ImageBudget = unlimitedBudget()): Promise<LayerContents> {
  const collector = new EntryCollector(selector, limits, what, budget);
  const parser = new TarParser(collector);
  try {
    for await (const chunk of decompressLayer(chunksOf(blob), limits, what, budget)) parser.write(chunk);
    parser.end();
  } catch (err) {
    if (err instanceof TarFormatError) throw new LayerError('malformed', `${what} is not a valid tar archive: ${err.message}`);
    throw err;
  } finally {
    if (!blob.destroyed) blob.destroy();
  }
  return collector.contents;
}

/** Records what each entry means for the paths of interest, and takes the content of the files to keep. */
class EntryCollector implements TarVisitor {
  readonly contents: LayerContents = { entries: new Map(), whiteouts: [], opaqueDirs: [] };
  private count = 0;
  private keptBytes = 0;
  /** The path of the file whose content the parser is reading for us. */
  private reading = '';

  constructor(
    private readonly selector: PathSelector,
    private readonly limits: LayerLimits,
    private readonly what: string,
    private readonly budget: ImageBudget,
  ) {}

  entry(header: TarHeader): boolean {
    if (++this.count > this.limits.maxEntries) throw new LayerError('too-large', `${this.what} has more than ${this.limits.maxEntries} entries`);
    const path = normaliseEntryPath(header.name);
    if (path === null) return false;
    const name = baseNameOf(path);
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(path, name);
      return false;
    }
    switch (header.type) {
      case 'file':
        return this.file(path, header.size);
      case 'symlink':
        if (this.selector.mayContain(path) && header.linkname) this.record(path, { kind: 'symlink', target: header.linkname });
        return false;
      case 'link':
        this.hardLink(path, header.linkname);
        return false;
      case 'directory':
        if (this.selector.mayContain(path)) this.record(path, { kind: 'directory' });
        return false;
      default:
        // Devices, fifos: an upper layer may put one where a file of interest was.
        if (this.selector.mayContain(path)) this.contents.entries.delete(path);
        return false;
    }
  }

  content(data: Buffer): void {
    this.contents.entries.set(this.reading, { kind: 'file', data });
  }

  private whiteout(path: string, name: string): void {
    const dir = parentOf(path);
    if (name === OPAQUE_MARKER) {
      if (dir === '' || this.selector.mayContain(dir)) {
        this.retain(dir.length);
        this.contents.opaqueDirs.push(dir);
      }
      return;
    }
    const target = joinPath(dir, name.slice(WHITEOUT_PREFIX.length));
    if (this.selector.mayContain(target)) {
      this.retain(target.length);
      this.contents.whiteouts.push(target);
    }
  }

  /** Whether the file's content is to be read; its size is checked against the limits first, from the header alone. */
  private file(path: string, size: number): boolean {
    const interest = this.selector.interestIn(path);
    if (interest === 'note') this.record(path, { kind: 'present' });
    if (interest !== 'keep') {
      if (interest === null && this.selector.mayContain(path)) this.contents.entries.delete(path);
      return false;
    }
    const { maxFileBytes } = this.limits;
    if (size > maxFileBytes) {
      this.record(path, { kind: 'too-large', size, limit: maxFileBytes });
      return false;
    }
    // Unlike one file too large for its analyser, the sum is the memory bound of the whole scan.
    this.retain(path.length + size);
    this.reading = path;
    return true;
  }

  /** A hard link shares the content of an earlier entry of the same layer. */
  private hardLink(path: string, linkname: string): void {
    const target = normaliseEntryPath(linkname);
    if (!this.selector.mayContain(path)) return;
    const existing = target === null ? undefined : this.contents.entries.get(target);
    if (existing && this.selector.interestIn(path) !== null) this.record(path, existing);
    else this.contents.entries.delete(path);
  }

  private record(path: string, entry: LayerEntry): void {
    this.retain(path.length + (entry.kind === 'symlink' ? entry.target.length : 0));
    this.contents.entries.set(path, entry);
  }

  /**
   * Everything kept counts against the layer's budget: file contents, and also the names
   * and link targets that a hostile layer could make a megabyte long each.
   */
  private retain(bytes: number): void {
    this.budget.take(bytes, this.what);
    this.keptBytes += bytes;
    if (this.keptBytes > this.limits.maxKeptBytes) {
      throw new LayerError('too-large', `${this.what}: the files read for analysis exceed ${formatBytes(this.limits.maxKeptBytes)}`);
    }
  }
}
