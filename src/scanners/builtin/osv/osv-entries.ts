import { createReadStream, type Dirent } from 'node:fs';
import { open, opendir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/**
 * Reads OSV `*.json` documents one at a time from a directory tree, a zip file or a
 * single file, never holding more than one document in memory and refusing any larger
 * than the cap before reading it.
 */

export type OsvEntry = { name: string; text: string } | { name: string; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

function decode(name: string, bytes: Uint8Array): OsvEntry {
  try {
    return { name, text: decoder.decode(bytes) };
  } catch {
    return { name, reason: 'not valid UTF-8' };
  }
}

function tooLarge(name: string, maxBytes: number): OsvEntry {
  return { name, reason: `larger than ${maxBytes} bytes` };
}

function isJsonName(name: string): boolean {
  return name.toLowerCase().endsWith('.json');
}

async function readCappedStream(stream: Readable, name: string, maxBytes: number): Promise<OsvEntry> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    length += buffer.length;
    if (length > maxBytes) {
      stream.destroy();
      return tooLarge(name, maxBytes);
    }
    chunks.push(buffer);
  }
  return decode(name, Buffer.concat(chunks, length));
}

async function readCappedFile(path: string, name: string, maxBytes: number): Promise<OsvEntry> {
  const { size } = await stat(path);
  if (size > maxBytes) return tooLarge(name, maxBytes);
  // The stream is capped too, in case the file grew since stat.
  return readCappedStream(createReadStream(path), name, maxBytes);
}

/** Every `*.json` below `root`, in a stable order; symbolic links are not followed. */
export async function* directoryEntries(root: string, maxBytes: number): AsyncGenerator<OsvEntry> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const children: Dirent[] = [];
    for await (const child of await opendir(dir)) children.push(child);
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: string[] = [];
    for (const child of children) {
      const path = join(dir, child.name);
      if (child.isDirectory()) subdirectories.push(path);
      else if (child.isFile() && isJsonName(child.name)) yield await readCappedFile(path, relative(root, path), maxBytes);
    }
    pending.push(...subdirectories.reverse());
  }
}

export async function* fileEntries(path: string, maxBytes: number): AsyncGenerator<OsvEntry> {
  yield await readCappedFile(path, path, maxBytes);
}

/** Every `*.json` entry of a zip (osv.dev's `all.zip` layout), streamed entry by entry. */
export async function* zipEntries(path: string, maxBytes: number): AsyncGenerator<OsvEntry> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith('/') || !isJsonName(name)) continue;
      if (entry.isEncrypted() || !entry.canDecodeFileData()) {
        yield { name, reason: 'encrypted or compressed with an unsupported method' };
        continue;
      }
      if (entry.uncompressedSize > maxBytes) {
        yield tooLarge(name, maxBytes);
        continue;
      }
      yield await readCappedStream(await zip.openReadStreamPromise(entry), name, maxBytes);
    }
  } finally {
    zip.close();
  }
}

export type LocalSourceKind = 'directory' | 'zip' | 'file';

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

/** What a local path holds: a directory, a zip (by its signature, whatever its name) or one JSON file. */
export async function localSourceKind(path: string): Promise<LocalSourceKind> {
  const info = await stat(path);
  if (info.isDirectory()) return 'directory';
  if (!info.isFile()) throw new Error(`${path} is neither a directory nor a file`);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && ZIP_MAGIC.some((magic) => magic.equals(head)) ? 'zip' : 'file';
  } finally {
    await handle.close();
  }
}
