import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { Type } from 'typebox';
import type { BlobOpener } from '../../scanners/builtin/layers/read-image.js';
import { formatPlatform, type Platform, selectPlatformEntry } from '../../scanners/builtin/registry/platform.js';
import { ImageIndex, ImageManifest, jsonParser } from '../../scanners/builtin/registry/schemas.js';
import { CliError } from '../cli-error.js';
import { SCAN_ERROR_EXIT } from './image-options.js';
import { type ArchiveEntry, indexArchive } from './archive-index.js';

/** An image read from a local OCI layout (a directory or its tar) or a `docker save` archive. */
export interface ArchiveImage {
  digest: string;
  /** The platform of the manifest chosen, when the layout says. */
  platform: string | null;
  layers: { digest: string; size: number }[];
  blobs: BlobOpener;
  close(): Promise<void>;
}

/** `docker save`'s own manifest, from before Docker wrote OCI layouts. */
const DockerSaveManifest = Type.Array(Type.Object({ Config: Type.String(), RepoTags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])), Layers: Type.Array(Type.String(), { maxItems: 1000 }) }), {
  minItems: 1,
});
const dockerSave = jsonParser(DockerSaveManifest);
const imageIndex = jsonParser(ImageIndex);
const imageManifest = jsonParser(ImageManifest);
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** What the archive's files are, whether a directory or a tar. */
interface ArchiveFiles {
  size(path: string): number | null;
  open(path: string): Readable;
  close(): Promise<void>;
}

export async function openImageArchive(path: string, platform: Platform): Promise<ArchiveImage> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`--input ${path}: no such file or directory`, SCAN_ERROR_EXIT);
  }
  const files = info.isDirectory() ? await directoryFiles(path) : await tarFiles(path);
  try {
    if (files.size('index.json') !== null) return await fromLayout(files, platform);
    if (files.size('manifest.json') !== null) return await fromDockerSave(files);
    throw new CliError(`--input ${path} is neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`, SCAN_ERROR_EXIT);
  } catch (err) {
    await files.close();
    if (err instanceof CliError) throw err;
    throw new CliError(`--input ${path}: ${err instanceof Error ? err.message : String(err)}`, SCAN_ERROR_EXIT);
  }
}

async function fromLayout(files: ArchiveFiles, wanted: Platform): Promise<ArchiveImage> {
  let index = imageIndex.parse(await readSmall(files, 'index.json'), 'index.json');
  for (let depth = 0; depth < 3; depth++) {
    const images = index.manifests.filter((entry) => !entry.mediaType.includes('index') && !entry.mediaType.includes('manifest.list'));
    const nested = index.manifests.filter((entry) => entry.mediaType.includes('index') || entry.mediaType.includes('manifest.list'));
    const entry = images.length === 1 && !images[0]?.platform ? images[0] : images.some((image) => image.platform) ? selectPlatformEntry({ ...index, manifests: images }, wanted) : images[0];
    if (entry) {
      const manifest = imageManifest.parse(await readBlob(files, entry.digest), `manifest ${entry.digest}`);
      return {
        digest: entry.digest,
        platform: entry.platform ? formatPlatform(entry.platform as Platform) : null,
        layers: manifest.layers.map((layer) => ({ digest: layer.digest, size: layer.size })),
        blobs: { openBlob: async (digest) => verified(files.open(blobPath(digest)), digest) },
        close: () => files.close(),
      };
    }
    const next = nested[0];
    if (!next) break;
    index = imageIndex.parse(await readBlob(files, next.digest), `index ${next.digest}`);
  }
  throw new Error('the layout holds no image manifest');
}

async function fromDockerSave(files: ArchiveFiles): Promise<ArchiveImage> {
  const saved = dockerSave.parse(await readSmall(files, 'manifest.json'), 'manifest.json');
  const first = saved[0];
  if (!first) throw new Error('manifest.json lists no image');
  if (saved.length > 1) throw new CliError('the docker save archive holds several images; save one image per archive', SCAN_ERROR_EXIT);
  const config = await readSmall(files, first.Config);
  const layers = first.Layers.map((layer) => {
    const size = files.size(layer);
    if (size === null) throw new Error(`the archive lacks ${layer}`);
    return { digest: layer, size };
  });
  return {
    // Docker's image id: the digest of the image's configuration.
    digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
    platform: null,
    layers,
    blobs: { openBlob: async (name) => files.open(name) },
    close: () => files.close(),
  };
}

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex)) throw new Error(`invalid digest ${digest}`);
  return `blobs/${algorithm}/${hex}`;
}

async function readBlob(files: ArchiveFiles, digest: string): Promise<Buffer> {
  const bytes = await readSmall(files, blobPath(digest));
  const [algorithm, hex] = digest.split(':');
  if (algorithm === 'sha256' && createHash('sha256').update(bytes).digest('hex') !== hex) throw new Error(`${digest} does not match its content`);
  return bytes;
}

async function readSmall(files: ArchiveFiles, path: string): Promise<Buffer> {
  const size = files.size(path);
  if (size === null) throw new Error(`the archive lacks ${path}`);
  if (size > MAX_JSON_BYTES) throw new Error(`${path} is over ${MAX_JSON_BYTES} bytes`);
  const chunks: Buffer[] = [];
  for await (const chunk of files.open(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A layer blob checked against its sha256 digest as it streams: the archive is as untrusted as a registry. */
function verified(stream: Readable, digest: string): Readable {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256') return stream;
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      done(hash.digest('hex') === hex ? null : new Error(`layer ${digest} does not match its content`));
    },
  });
  stream.on('error', (err) => check.destroy(err));
  return stream.pipe(check);
}

async function directoryFiles(root: string): Promise<ArchiveFiles> {
  const inside = (path: string): string | null => (path.split('/').includes('..') ? null : join(root, path));
  return {
    size(path) {
      const full = inside(path);
      if (full === null) return null;
      try {
        const info = statSync(full);
        return info.isFile() ? info.size : null;
      } catch {
        return null;
      }
    },
    open(path) {
      const full = inside(path);
      if (full === null) throw new Error(`${path} leaves the layout`);
      return createReadStream(full);
    },
    close: async () => undefined,
  };
}

async function tarFiles(path: string): Promise<ArchiveFiles> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CliError(`--input ${path}: ${err instanceof Error ? err.message : String(err)}`, SCAN_ERROR_EXIT);
  }
  let entries: Map<string, ArchiveEntry>;
  try {
    entries = await indexArchive(handle);
  } catch (err) {
    await handle.close();
    throw new CliError(`--input ${path}: ${err instanceof Error ? err.message : String(err)}`, SCAN_ERROR_EXIT);
  }
  return {
    size: (name) => entries.get(name)?.size ?? null,
    open(name) {
      const entry = entries.get(name);
      if (!entry) throw new Error(`the archive lacks ${name}`);
      if (entry.size === 0) return Readable.from([]);
      return createReadStream(path, { start: entry.offset, end: entry.offset + entry.size - 1 });
    },
    close: () => handle.close(),
  };
}
