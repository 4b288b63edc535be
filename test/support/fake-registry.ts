import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Blob, BuiltImage } from './image-builder.js';
import { sendRegistryError, type Handler } from './http-server.js';

/**
 * The read side of the distribution API over in-memory content: manifests by tag or
 * digest, blobs by digest. Tests wrap it to misbehave in one precise way (a tampered
 * blob, a stall, a status) and leave everything else as a registry would answer.
 */
export interface FakeRegistryContent {
  manifests: Map<string, Blob>;
  blobs: Map<string, Buffer>;
  tags: string[];
}

export function emptyContent(): FakeRegistryContent {
  return { manifests: new Map(), blobs: new Map(), tags: [] };
}

export function addImage(content: FakeRegistryContent, tag: string | null, image: BuiltImage): void {
  for (const layer of image.layers) content.blobs.set(layer.digest, layer.bytes);
  content.blobs.set(image.config.digest, image.config.bytes);
  content.manifests.set(image.manifest.digest, image.manifest);
  if (tag) {
    content.manifests.set(tag, image.manifest);
    content.tags.push(tag);
  }
}

export interface RegistryPath {
  repository: string;
  kind: 'manifests' | 'blobs' | 'tags' | 'base';
  reference: string;
}

export function parseRegistryPath(req: IncomingMessage): RegistryPath | null {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/v2/' || path === '/v2') return { repository: '', kind: 'base', reference: '' };
  const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (match) return { repository: match[1] ?? '', kind: match[2] as 'manifests' | 'blobs', reference: decodeURIComponent(match[3] ?? '') };
  const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path);
  if (tags) return { repository: tags[1] ?? '', kind: 'tags', reference: '' };
  return null;
}

export function registryHandler(content: FakeRegistryContent): Handler {
  return (req, res) => serveContent(content, req, res);
}

export function serveContent(content: FakeRegistryContent, req: IncomingMessage, res: ServerResponse): void {
  const path = parseRegistryPath(req);
  if (!path) return sendRegistryError(res, 404, 'NOT_FOUND', 'no such route');
  if (path.kind === 'base') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
    return;
  }
  if (path.kind === 'tags') {
    const body = JSON.stringify({ name: path.repository, tags: content.tags });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  if (path.kind === 'manifests') {
    const manifest = content.manifests.get(path.reference);
    if (!manifest) return sendRegistryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    res.writeHead(200, { 'content-type': manifest.mediaType, 'content-length': manifest.size, 'docker-content-digest': manifest.digest });
    res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
    return;
  }
  const blob = content.blobs.get(path.reference);
  if (!blob) return sendRegistryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length, 'docker-content-digest': path.reference });
  res.end(req.method === 'HEAD' ? undefined : blob);
}
