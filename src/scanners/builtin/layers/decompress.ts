import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { Decompress } from 'fzstd';
import { ScanError } from '../../scanner.js';
import { chunksOf } from '../stream-chunks.js';
import { ImageBudget, unlimitedBudget } from './image-budget.js';
import { LayerError } from './layer-error.js';
import { ZstdFrames } from './zstd-frames.js';

export type LayerFormat = 'gzip' | 'zstd' | 'tar';

const TAR_BLOCK = 512;

/**
 * What a layer's first bytes say it is. The media type is not trusted for this: registries
 * and build tools mislabel layers (gzip under `.tar`, and the reverse), the bytes do not lie.
 */
export function sniffFormat(head: Uint8Array): LayerFormat | null {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  // A zstd skippable frame (magic 0x184D2A5?) may come first.
  if ((head[0] ?? 0) >> 4 === 0x5 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  if (head.length >= TAR_BLOCK && looksLikeTar(head.subarray(0, TAR_BLOCK))) return 'tar';
  return null;
}

function looksLikeTar(block: Uint8Array): boolean {
  if (Buffer.from(block.subarray(257, 262)).toString('latin1') === 'ustar') return true;
  if (block.every((byte) => byte === 0)) return true;
  // Pre-POSIX (v7) headers have no magic; their checksum still identifies them.
  const stored = Number.parseInt(Buffer.from(block.subarray(148, 156)).toString('latin1').replace(/[\0 ]/g, ''), 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}

export interface DecompressLimits {
  /** Bytes a layer may expand to (and may have compressed). */
  maxLayerBytes: number;
}

/**
 * The tar bytes of a layer blob: sniffs the format, decompresses, and fails with a clear
 * error once more than `maxLayerBytes` come out (a decompression bomb) or go in.
 */
export async function* decompressLayer(source: AsyncIterable<Uint8Array>, limits: DecompressLimits, what: string, budget: ImageBudget = unlimitedBudget()): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < TAR_BLOCK) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(Buffer.from(next.value));
    headLength += next.value.byteLength;
  }
  const format = sniffFormat(Buffer.concat(head, headLength));
  if (!format) throw new LayerError('unsupported-format', `${what} is neither a tar archive nor gzip or zstd compressed`);
  const rest = capped(replay(head, ended ? null : iterator), limits.maxLayerBytes, `${what} (compressed)`);
  // The decoder's memory counts against the image while the layer is read: its window, and its output chunk.
  const decoderBytes = format === 'gzip' ? GZIP_DECODER_BYTES : format === 'zstd' ? zstdDecoderBytes(Buffer.concat(head, headLength), what) : 0;
  budget.take(decoderBytes, what);
  try {
    const tar = format === 'gzip' ? gunzip(rest) : format === 'zstd' ? unzstd(rest, what) : rest;
    yield* capped(tar, limits.maxLayerBytes, what);
  } finally {
    budget.release(decoderBytes);
  }
}

/** zlib's 32 KiB window and the 128 KiB output chunk asked of it. */
const GZIP_DECODER_BYTES = 32 * 1024 + 128 * 1024;

/**
 * zstd's own default decoding limit (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 2^27): a frame asking
 * for a larger window needs `--long` on the command line, and here is refused.
 */
const MAX_ZSTD_WINDOW = 2 ** 27;

/**
 * The window the first frame asks for (RFC 8878 §3.1.1.1: Window_Descriptor, or the frame
 * content size of a single-segment frame): what the decoder allocates before any output.
 */
export function zstdWindowSize(head: Buffer): number | null {
  let at = 0;
  // Skippable frames (magic 0x184D2A5?) come with a 4-byte size and are stepped over.
  while (head.length >= at + 8 && (head.readUInt32LE(at) & 0xfffffff0) === 0x184d2a50) at += 8 + head.readUInt32LE(at + 4);
  if (head.length < at + 6 || head.readUInt32LE(at) !== 0xfd2fb528) return null;
  const descriptor = head[at + 4] ?? 0;
  const singleSegment = (descriptor & 0x20) !== 0;
  if (!singleSegment) {
    const window = head[at + 5] ?? 0;
    const base = 2 ** (10 + (window >> 3));
    return base + (base / 8) * (window & 7);
  }
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = [1, 2, 4, 8][sizeFlag] ?? 1;
  const sizeAt = at + 5 + dictionaryBytes;
  if (head.length < sizeAt + sizeBytes) return null;
  if (sizeBytes === 1) return head[sizeAt] ?? 0;
  if (sizeBytes === 2) return head.readUInt16LE(sizeAt) + 256;
  if (sizeBytes === 4) return head.readUInt32LE(sizeAt);
  return Number(head.readBigUInt64LE(sizeAt));
}

function zstdDecoderBytes(head: Buffer, what: string): number {
  const window = zstdWindowSize(head);
  if (window === null) return 128 * 1024;
  if (window > MAX_ZSTD_WINDOW) {
    throw new LayerError('too-large', `${what} is zstd data with a ${formatSize(window)} window, more than the ${formatBytes(MAX_ZSTD_WINDOW)} decoders accept by default`);
  }
  return window;
}

async function* replay(head: Buffer[], iterator: AsyncIterator<Uint8Array> | null): AsyncGenerator<Buffer> {
  yield* head;
  if (!iterator) return;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
  }
}

async function* capped(source: AsyncIterable<Buffer>, maxBytes: number, what: string): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) throw new LayerError('too-large', `${what} is larger than the ${formatBytes(maxBytes)} allowed per layer`);
    yield chunk;
  }
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // 128 KiB output chunks instead of zlib's 16 KiB cut its CPU time about threefold on layer-sized input (bench/README.md).
  yield* inflated(source, zlib.createGunzip({ chunkSize: 128 * 1024 }), 'gzip');
}

/** A zlib decompressor's output for `source`; its errors become "corrupt layer". */
async function* inflated(source: AsyncIterable<Buffer>, inflater: Transform, format: string): AsyncGenerator<Buffer> {
  const feeding = pipeline(source, inflater).catch((err: unknown) => err);
  try {
    for await (const chunk of chunksOf(inflater)) yield chunk;
  } catch (err) {
    throw corrupt(err, format);
  } finally {
    inflater.destroy();
  }
  const failure = await feeding;
  if (failure) throw corrupt(failure, format);
}

type ZstdDecompressFactory = (options: { chunkSize: number; params: Record<number, number> }) => Transform;

/**
 * Node's own zstd decoder (libzstd, on libuv's thread pool: Node.js 22.15 and 23.8 on), or
 * null on an older Node.js, where fzstd (JavaScript, some three times slower than gunzip
 * on the same content) decodes instead.
 */
const nativeZstd: { create: ZstdDecompressFactory; windowLogMax: number } | null = (() => {
  const create = (zlib as unknown as { createZstdDecompress?: ZstdDecompressFactory }).createZstdDecompress;
  const windowLogMax = (zlib.constants as unknown as Record<string, number | undefined>)['ZSTD_d_windowLogMax'];
  return typeof create === 'function' && windowLogMax !== undefined ? { create, windowLogMax } : null;
})();

/** Which zstd decoder layers go through: `native` (Node's zlib) or `fzstd`. */
export const ZSTD_DECODER: 'native' | 'fzstd' = nativeZstd ? 'native' : 'fzstd';

function unzstd(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  if (!nativeZstd) return unzstdJs(source);
  // The window is refused above 2^27 before decoding starts (zstdDecoderBytes); the limit here holds for every later frame.
  const decoder = nativeZstd.create({ chunkSize: 128 * 1024, params: { [nativeZstd.windowLogMax]: Math.log2(MAX_ZSTD_WINDOW) } });
  return inflated(framed(source, new ZstdFrames(what)), decoder, 'zstd');
}

/** The bytes as they come, failing at the end unless they ended with a whole frame. */
async function* framed(source: AsyncIterable<Buffer>, frames: ZstdFrames): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    frames.update(chunk);
    yield chunk;
  }
  frames.finish();
}

/**
 * fzstd decompresses synchronously, block after block, for whatever it is given. Feeding
 * it small slices and yielding in between keeps the output of one step small even for a
 * bomb: a 4-byte RLE block may stand for 128 KiB, so 1 KiB in is at most 32 MiB out.
 */
const ZSTD_SLICE = 1024;

async function* unzstdJs(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const decompressor = new Decompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  const take = (): Buffer[] => {
    const taken = out;
    out = [];
    return taken;
  };
  try {
    for await (const chunk of source) {
      for (let offset = 0; offset < chunk.length; offset += ZSTD_SLICE) {
        decompressor.push(chunk.subarray(offset, offset + ZSTD_SLICE));
        yield* take();
      }
    }
    decompressor.push(new Uint8Array(0), true);
  } catch (err) {
    throw corrupt(err, 'zstd');
  }
  yield* take();
}

/** Errors of our own (limits, digests) pass; the decompressor's become "corrupt layer". */
function corrupt(err: unknown, format: string): unknown {
  if (err instanceof ScanError) return err;
  if ((err as { code?: string }).code === 'ABORT_ERR' || (err as Error).name === 'AbortError') return err;
  return new LayerError('malformed', `the layer's ${format} data is corrupt: ${(err as Error).message}`);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && Number.isInteger(value / 1024)) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

/** A size the image chose, for messages: exact when it is a whole number of units, else to a tenth of one. */
export function formatSize(bytes: number): string {
  const exact = formatBytes(bytes);
  if (bytes < 1024 || !exact.endsWith(' bytes')) return exact;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
