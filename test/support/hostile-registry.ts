import type { ServerResponse } from 'node:http';
import type { BuiltImage } from './image-builder.js';
import { sendJson, sendRegistryError, startHttpServer, type TestHttpServer } from './http-server.js';

/**
 * How a repository of the hostile registry misbehaves. `healthy` serves its image as a
 * registry should; `trickle` sends each layer a few bytes at a time, never silent for
 * long; `stall` sends a layer's headers and then nothing; `tags` lists `tagCount` tags
 * (every one resolving to the image) so that listing and resolving them is work;
 * `slow-manifest` answers HEAD at once and trickles the manifest itself.
 */
export type Behaviour = { kind: 'healthy' } | { kind: 'trickle' } | { kind: 'stall' } | { kind: 'slow-manifest' } | { kind: 'tags'; tags: readonly string[] };

export interface HostileRegistry {
  /** `127.0.0.1:<port>`: list it in ECRSCAN_INSECURE_REGISTRIES. */
  host: string;
  server: TestHttpServer;
  /** Requests per repository and kind (`tags`, `head`, `manifest`, `blob`). */
  count(repository: string, kind: 'tags' | 'head' | 'manifest' | 'blob'): number;
  close(): Promise<void>;
}

export interface HostileRepository {
  /** What every tag of the repository points at. */
  image: BuiltImage;
  behaviour: Behaviour;
}

/** A registry served by the test: each repository one image and its behaviour. */
export async function startHostileRegistry(repositories: Readonly<Record<string, HostileRepository>>): Promise<HostileRegistry> {
  const counts = new Map<string, number>();
  const hung = new Set<ServerResponse>();
  const bump = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);

  const server = await startHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    if (url.pathname === '/v2/' || url.pathname === '/v2') return sendJson(res, 200, {});
    const match = /^\/v2\/(.+)\/(tags\/list|manifests|blobs)(?:\/([^/]+))?$/.exec(url.pathname);
    const served = match ? repositories[match[1] ?? ''] : undefined;
    if (!match || !served) return sendRegistryError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
    const [, repository = '', what, reference = ''] = match;
    const { image, behaviour } = served;
    if (what === 'tags/list') {
      bump(`${repository} tags`);
      const tags = behaviour.kind === 'tags' ? behaviour.tags : ['latest'];
      return sendJson(res, 200, { name: repository, tags });
    }
    if (what === 'manifests') {
      bump(`${repository} ${req.method === 'HEAD' ? 'head' : 'manifest'}`);
      const headers = { 'content-type': image.manifest.mediaType, 'docker-content-digest': image.manifest.digest, 'content-length': String(image.manifest.size) };
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return void res.end();
      if (behaviour.kind === 'slow-manifest') return trickle(res, image.manifest.bytes);
      return void res.end(image.manifest.bytes);
    }
    bump(`${repository} blob`);
    const bytes = [image.config, ...image.layers].find((blob) => blob.digest === reference)?.bytes;
    if (!bytes) return sendRegistryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    const isLayer = image.layers.some((layer) => layer.digest === reference);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
    if (!isLayer || behaviour.kind === 'healthy' || behaviour.kind === 'tags') return void res.end(bytes);
    if (behaviour.kind === 'stall') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return void res.write(bytes.subarray(0, 16));
    }
    return trickle(res, bytes);
  });

  /** Eight bytes every 100 ms: never silent for long, 80 bytes a second. */
  async function trickle(res: ServerResponse, bytes: Buffer): Promise<void> {
    hung.add(res);
    res.on('close', () => hung.delete(res));
    for (let at = 0; at < bytes.length && !res.destroyed; at += 8) {
      res.write(bytes.subarray(at, at + 8));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    res.end();
  }

  return {
    host: server.host,
    server,
    count: (repository, kind) => counts.get(`${repository} ${kind}`) ?? 0,
    async close() {
      for (const res of hung) res.destroy();
      await server.close();
    },
  };
}
