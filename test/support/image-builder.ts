import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { pack as createPack, type Pack } from 'tar-stream';

/** One entry of a test layer. Names are written as given, so hostile names can be built too. */
export type LayerItem =
  | { path: string; content: string | Buffer; mode?: number }
  /** A file of `zeros` zero bytes, streamed (decompression bombs). */
  | { path: string; zeros: number }
  | { path: string; symlink: string }
  | { path: string; hardlink: string }
  | { path: string; directory: true };

export type Compression = 'gzip' | 'zstd' | 'none';
export type ManifestFormat = 'oci' | 'docker';

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface BuiltLayer extends Blob {
  /** sha256 of the uncompressed tar, as the image config lists it. */
  diffId: string;
}

export interface TestPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface BuiltImage {
  config: Blob;
  manifest: Blob;
  layers: BuiltLayer[];
  platform: TestPlatform;
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

const LAYER_MEDIA: Record<ManifestFormat, Record<Compression, string>> = {
  oci: {
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
    none: 'application/vnd.oci.image.layer.v1.tar',
  },
  docker: {
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
    none: 'application/vnd.docker.image.rootfs.diff.tar',
  },
};

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

export function zstdAvailable(): boolean {
  return spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A real tar (ustar, PAX for long names) of the items, as tar-stream writes it. */
export async function tarOf(items: readonly LayerItem[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packItems(items)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function buildLayer(
  items: readonly LayerItem[],
  options: { compression?: Compression; format?: ManifestFormat; mediaType?: string } = {},
): Promise<BuiltLayer> {
  const compression = options.compression ?? 'gzip';
  const mediaType = options.mediaType ?? LAYER_MEDIA[options.format ?? 'oci'][compression];
  const diff = createHash('sha256');
  const tarChunks = tapped(packItems(items), (chunk) => diff.update(chunk));
  const bytes = compression === 'gzip' ? await gzipAll(tarChunks) : compression === 'zstd' ? await zstdAll(tarChunks) : await collect(tarChunks);
  return { ...blobOf(bytes, mediaType), diffId: `sha256:${diff.digest('hex')}` };
}

function packItems(items: readonly LayerItem[]): Pack {
  const pack = createPack();
  const mtime = new Date('2026-01-01T00:00:00Z');
  const add = async (): Promise<void> => {
    for (const item of items) {
      if ('content' in item) {
        await entry(pack, { name: item.path, mode: item.mode ?? 0o644, mtime }, Buffer.from(item.content));
      } else if ('symlink' in item) {
        await entry(pack, { name: item.path, type: 'symlink', linkname: item.symlink, mode: 0o777, mtime });
      } else if ('hardlink' in item) {
        await entry(pack, { name: item.path, type: 'link', linkname: item.hardlink, mode: 0o644, mtime });
      } else if ('directory' in item) {
        await entry(pack, { name: item.path, type: 'directory', mode: 0o755, mtime });
      } else {
        await zeroEntry(pack, item.path, item.zeros, mtime);
      }
    }
    pack.finalize();
  };
  add().catch((err: unknown) => pack.destroy(err as Error));
  return pack;
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (content) pack.entry(header, content, done);
    else pack.entry(header, done);
  });
}

async function zeroEntry(pack: Pack, name: string, size: number, mtime: Date): Promise<void> {
  let finished!: Promise<void>;
  const sink = pack.entry({ name, size, mode: 0o644, mtime }, (err) => {
    finished = err ? Promise.reject(err) : Promise.resolve();
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; written += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, size - written));
    if (!sink.write(piece)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.end(() => resolve());
  });
  await new Promise((resolve) => setImmediate(resolve));
  await finished;
}

async function* tapped(source: AsyncIterable<unknown>, tap: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    tap(chunk as Buffer);
    yield chunk as Buffer;
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function gzipAll(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const gzip = createGzip({ level: 6 });
  const output = collect(gzip);
  for await (const chunk of source) {
    if (!gzip.write(chunk)) await once(gzip, 'drain');
  }
  gzip.end();
  return output;
}

async function zstdAll(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const child = spawn('zstd', ['-q', '-c', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const output = collect(child.stdout);
  for await (const chunk of source) {
    if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`zstd exited with ${code}`);
  return output;
}

export function buildImage(layers: readonly BuiltLayer[], options: { platform?: TestPlatform; format?: ManifestFormat; created?: string } = {}): BuiltImage {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const format = options.format ?? 'oci';
  const configJson = {
    ...(options.created ? { created: options.created } : {}),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'image-builder' })),
  };
  const config = blobOf(Buffer.from(JSON.stringify(configJson)), format === 'oci' ? MEDIA.ociConfig : MEDIA.dockerConfig);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
  };
  const manifest = blobOf(Buffer.from(JSON.stringify(manifestJson, null, 2)), manifestJson.mediaType);
  return { config, manifest, layers: [...layers], platform };
}

export function buildIndex(images: readonly BuiltImage[], format: ManifestFormat = 'oci'): Blob {
  const indexJson = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList,
    manifests: images.map((image) => ({
      mediaType: image.manifest.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.size,
      platform: image.platform,
    })),
  };
  return blobOf(Buffer.from(JSON.stringify(indexJson, null, 2)), indexJson.mediaType);
}

/** Where to push: a registry's base URL and, for a protected one, the `Authorization` to send. */
export interface PushTarget {
  url: string;
  authorization?: string;
}

/** fetch wants an ArrayBuffer-backed view; Buffers from a pool may not be one in the types. */
export function bodyOf(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

function headersFor(target: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization ? { ...extra, authorization: target.authorization } : extra;
}

async function expectStatus(response: Response, expected: number[], what: string): Promise<void> {
  if (expected.includes(response.status)) {
    await response.body?.cancel();
    return;
  }
  throw new Error(`${what}: ${response.status} ${await response.text()}`);
}

/** Uploads a blob through the distribution API: monolithic (POST then PUT) or chunked (PATCH then PUT). */
export async function pushBlob(target: PushTarget, repository: string, blob: Blob, options: { chunkSize?: number } = {}): Promise<void> {
  const base = `${target.url}/v2/${repository}`;
  const head = await fetch(`${base}/blobs/${blob.digest}`, { method: 'HEAD', headers: headersFor(target) });
  if (head.status === 200) return;
  const started = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: headersFor(target) });
  await expectStatus(started, [202], `start upload of ${blob.digest}`);
  let location = new URL(started.headers.get('location') ?? '', target.url);
  if (options.chunkSize) {
    for (let offset = 0; offset < blob.size; offset += options.chunkSize) {
      const chunk = blob.bytes.subarray(offset, offset + options.chunkSize);
      const patched = await fetch(location, {
        method: 'PATCH',
        headers: headersFor(target, { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` }),
        body: bodyOf(chunk),
      });
      await expectStatus(patched, [202], `upload chunk of ${blob.digest}`);
      location = new URL(patched.headers.get('location') ?? '', target.url);
    }
    location.searchParams.set('digest', blob.digest);
    const finished = await fetch(location, { method: 'PUT', headers: headersFor(target), body: new Uint8Array(0) });
    await expectStatus(finished, [201], `finish upload of ${blob.digest}`);
    return;
  }
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headersFor(target, { 'content-type': 'application/octet-stream' }),
    body: bodyOf(blob.bytes),
  });
  await expectStatus(put, [201], `upload ${blob.digest}`);
}

export async function pushManifest(target: PushTarget, repository: string, reference: string, manifest: Blob): Promise<void> {
  const response = await fetch(`${target.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: headersFor(target, { 'content-type': manifest.mediaType }),
    body: bodyOf(manifest.bytes),
  });
  await expectStatus(response, [201], `push manifest ${repository}:${reference}`);
}

/** Pushes layers, config and manifest; tags it when `tag` is given (else by digest only). */
export async function pushImage(target: PushTarget, repository: string, tag: string | null, image: BuiltImage, options: { chunkSize?: number } = {}): Promise<void> {
  for (const layer of image.layers) await pushBlob(target, repository, layer, options);
  await pushBlob(target, repository, image.config);
  await pushManifest(target, repository, tag ?? image.manifest.digest, image.manifest);
}

export async function pushIndex(target: PushTarget, repository: string, tag: string, index: Blob, images: readonly BuiltImage[]): Promise<void> {
  for (const image of images) await pushImage(target, repository, null, image);
  await pushManifest(target, repository, tag, index);
}
