import type { Readable } from 'node:stream';
import { extract as createExtract, type Extract, type Header } from 'tar-stream';
import { decompressLayer, formatBytes } from './decompress.js';
import { baseNameOf, joinPath, normaliseEntryPath, parentOf, printable } from './entry-path.js';
import { LayerError } from './layer-error.js';
import type { PathSelector } from './path-selector.js';

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
  | { kind: 'directory' };

export interface LayerContents {
  /** Paths of interest (and directories and symlinks above them), as this layer leaves them. */
  entries: Map<string, LayerEntry>;
  /** Paths this layer deletes from the layers below (`.wh.<name>` files). */
  whiteouts: string[];
  /** Directories whose content in the layers below this layer hides (`.wh..wh..opq`). */
  opaqueDirs: string[];
}

const WHITEOUT_PREFIX = '.wh.';
/** What tar-stream throws on a broken archive (as opposed to our own errors and bugs). */
const TAR_FORMAT_ERRORS = /Unexpected end of data|Invalid (?:tar )?header|Header exceeds max size/;
const OPAQUE_MARKER = '.wh..wh..opq';

/** A tar-stream entry: its header, and its content as a stream that must be read or resumed. */
type TarEntry = AsyncIterable<Uint8Array> & { header: Header; resume(): unknown };

/**
 * Streams one layer blob, keeping only what `selector` asks for. Nothing is written to
 * disk; memory is bounded by the limits. Fails with a `LayerError` (or the blob's own
 * error, e.g. a digest mismatch) and destroys the blob stream when it does.
 */
export async function readLayer(blob: Readable, selector: PathSelector, limits: LayerLimits, what: string): Promise<LayerContents> {
  const extract = createExtract();
  const contents: LayerContents = { entries: new Map(), whiteouts: [], opaqueDirs: [] };
  let failure: unknown = null;
  const fail = (err: unknown): void => {
    failure ??= err;
    blob.destroy();
    extract.destroy();
  };
  try {
    await Promise.all([
      feedExtract(decompressLayer(blob, limits, what), extract).catch(fail),
      collectEntries(extract as AsyncIterable<unknown> as AsyncIterable<TarEntry>, selector, limits, contents, what).catch(fail),
    ]);
  } finally {
    if (!blob.destroyed) blob.destroy();
  }
  if (failure) throw failure;
  return contents;
}

async function feedExtract(chunks: AsyncIterable<Buffer>, extract: Extract): Promise<void> {
  for await (const chunk of chunks) {
    if (isClosed(extract)) return;
    if (!extract.write(chunk)) await drained(extract);
  }
  if (!isClosed(extract)) extract.end(undefined);
}

function isClosed(extract: Extract): boolean {
  return extract.destroyed || extract.destroying;
}

function drained(extract: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
}

async function collectEntries(
  entries: AsyncIterable<TarEntry>,
  selector: PathSelector,
  limits: LayerLimits,
  contents: LayerContents,
  what: string,
): Promise<void> {
  let count = 0;
  let keptBytes = 0;
  try {
    for await (const entry of entries) {
      if (++count > limits.maxEntries) throw new LayerError('too-large', `${what} has more than ${limits.maxEntries} entries`);
      const kept = await handleEntry(entry, selector, limits, contents);
      keptBytes += kept;
      if (keptBytes > limits.maxKeptBytes) {
        throw new LayerError('too-large', `${what}: the files read for analysis exceed ${formatBytes(limits.maxKeptBytes)}`);
      }
    }
  } catch (err) {
    if (err instanceof Error && !(err instanceof LayerError) && TAR_FORMAT_ERRORS.test(err.message)) {
      throw new LayerError('malformed', `${what} is not a valid tar archive: ${err.message}`);
    }
    throw err;
  }
}

/** Records what one entry means for the paths of interest; returns the bytes kept. */
async function handleEntry(entry: TarEntry, selector: PathSelector, limits: LayerLimits, contents: LayerContents): Promise<number> {
  const { header } = entry;
  const path = normaliseEntryPath(header.name);
  if (path === null) return skip(entry);
  const name = baseNameOf(path);
  const dir = parentOf(path);
  if (name === OPAQUE_MARKER) {
    if (dir === '' || selector.mayContain(dir)) contents.opaqueDirs.push(dir);
    return skip(entry);
  }
  if (name.startsWith(WHITEOUT_PREFIX)) {
    const target = joinPath(dir, name.slice(WHITEOUT_PREFIX.length));
    if (selector.mayContain(target)) contents.whiteouts.push(target);
    return skip(entry);
  }
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return handleFile(entry, path, selector, limits, contents);
    case 'symlink':
      if (selector.mayContain(path) && header.linkname) contents.entries.set(path, { kind: 'symlink', target: header.linkname });
      return skip(entry);
    case 'link':
      handleHardLink(path, header.linkname ?? '', selector, contents);
      return skip(entry);
    case 'directory':
      if (selector.mayContain(path)) contents.entries.set(path, { kind: 'directory' });
      return skip(entry);
    default:
      // Devices, fifos: an upper layer may put one where a file of interest was.
      if (selector.mayContain(path)) contents.entries.delete(path);
      return skip(entry);
  }
}

async function handleFile(entry: TarEntry, path: string, selector: PathSelector, limits: LayerLimits, contents: LayerContents): Promise<number> {
  const interest = selector.interestIn(path);
  if (interest === 'keep') {
    const data = await readEntry(entry, path, limits.maxFileBytes);
    contents.entries.set(path, { kind: 'file', data });
    return data.length;
  }
  if (interest === 'note') contents.entries.set(path, { kind: 'present' });
  else if (selector.mayContain(path)) contents.entries.delete(path);
  return skip(entry);
}

/** A hard link shares the content of an earlier entry of the same layer. */
function handleHardLink(path: string, linkname: string, selector: PathSelector, contents: LayerContents): void {
  const target = normaliseEntryPath(linkname);
  if (!selector.mayContain(path)) return;
  const existing = target === null ? undefined : contents.entries.get(target);
  if (existing && selector.interestIn(path) !== null) contents.entries.set(path, existing);
  else contents.entries.delete(path);
}

async function readEntry(entry: TarEntry, path: string, maxBytes: number): Promise<Buffer> {
  const tooLarge = (): LayerError =>
    new LayerError('too-large', `${printable(path)} is larger than the ${formatBytes(maxBytes)} read per file`);
  if ((entry.header.size ?? 0) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of entry) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function skip(entry: TarEntry): number {
  entry.resume();
  return 0;
}
