import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { VERSION } from '../../../version.js';
import { type RequestBudget, UNLIMITED_BUDGET } from '../../request-budget.js';
import { createAuthenticator } from './auth.js';
import { BlobStream } from './blob-stream.js';
import { anonymous, type CredentialSource } from './credentials.js';
import { digestOf, isDigest, parseDigest, verifyDigest } from './digest.js';
import {
  DEFAULT_RETRY,
  discardBody,
  failureOf,
  fetchRequester,
  readBodyCapped,
  undiciRequester,
  type FetchLike,
  type HttpRequester,
  type HttpResponse,
  type RetryPolicy,
} from './http.js';
import {
  IMAGE_CONFIG_TYPES,
  LAYER_TYPES,
  MANIFEST_ACCEPT,
  essenceOf,
  manifestKindOf,
  type ManifestKind,
} from './media-types.js';
import { DEFAULT_PLATFORM, selectPlatformEntry, type Platform } from './platform.js';
import { RegistryError } from './registry-error.js';
import { Catalog, ImageConfigCreated, ImageIndex, ImageManifest, ManifestHead, TagList, jsonParser, type Descriptor } from './schemas.js';
import { DEFAULT_TIMEOUTS, sendRegistryRequest, type RegistryTimeouts, type TransportOptions } from './transport.js';

/** A repository of a registry: `{ registry: 'ghcr.io', repository: 'org/app' }`. */
export interface RepositoryRef {
  /** Registry host `name[:port]`; `docker.io` stands for Docker Hub. */
  registry: string;
  repository: string;
}

export interface LayerDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ResolvedImage {
  /** What the reference points at: the index's digest for a multi-platform image. */
  digest: string;
  /** The platform-specific image manifest's digest (equal to `digest` for a single-platform image). */
  manifestDigest: string;
  manifestMediaType: string;
  /** The platform chosen from an index, or null when the reference named a single manifest. */
  platform: Platform | null;
  config: LayerDescriptor;
  layers: LayerDescriptor[];
}

export interface RegistryClientOptions {
  /** Runs the client on this `fetch` (a proxy-aware one, say) instead of undici's faster `request`. */
  fetch?: FetchLike;
  /** Lower-level than `fetch`: one HTTP exchange with a Node stream body. */
  http?: HttpRequester;
  /** Hosts (`name[:port]`) reached over plain HTTP; every other host over HTTPS only. */
  insecureHosts?: readonly string[];
  credentials?: CredentialSource;
  /** The token realm hosts each registry's credentials may go to (null: not pinned). */
  allowedRealms?: (host: string) => readonly string[] | null;
  timeouts?: Partial<RegistryTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Largest manifest or index accepted; the reference registry refuses more than 4 MiB too. */
  maxManifestBytes?: number;
  /** Asked of registries that paginate `tags/list`. */
  tagPageSize?: number;
  userAgent?: string;
  /** Requests per second and in flight per host; the service shares one across its scanners. None: unbounded. */
  budget?: RequestBudget;
  log?: Logger;
}

export interface RegistryClient {
  /**
   * Every repository of a registry (`/v2/_catalog`), following `Link` pagination. A
   * registry that does not offer its catalogue (Docker Hub, GHCR) fails with a
   * `RegistryError` of kind `unsupported` that says so.
   */
  listRepositories(registry: string, signal?: AbortSignal): Promise<string[]>;
  /** When the image was built, from its configuration's `created`; null when it does not say. */
  imageCreated(repo: RepositoryRef, digest: string, platform?: Platform, signal?: AbortSignal): Promise<Date | null>;
  /** Every tag of a repository, following `Link` pagination. */
  listTags(repo: RepositoryRef, signal?: AbortSignal): Promise<string[]>;
  /** The digest a tag points at now (a HEAD request; a GET when the registry does not say). */
  resolveDigest(repo: RepositoryRef, reference: string, signal?: AbortSignal): Promise<string>;
  /** The image manifest for `platform` (default linux/amd64), every document's digest verified. */
  resolveImage(repo: RepositoryRef, reference: string, platform?: Platform, signal?: AbortSignal): Promise<ResolvedImage>;
  /** A blob's bytes, streamed and verified against `digest` (and `size` when given). */
  openBlob(repo: RepositoryRef, digest: string, signal?: AbortSignal, size?: number): Promise<Readable>;
}

const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_TAG_PAGE_SIZE = 1000;
/** Bounds the work a registry whose `Link` never ends can cause. */
const MAX_TAG_PAGES = 1000;
/** An index may point at an index (nested multi-platform images); deeper is refused. */
const MAX_INDEX_DEPTH = 2;

const manifestHead = jsonParser(ManifestHead);
const imageManifest = jsonParser(ImageManifest);
const imageIndex = jsonParser(ImageIndex);
const tagList = jsonParser(TagList);
const catalog = jsonParser(Catalog);
const imageConfigCreated = jsonParser(ImageConfigCreated);
/** Image configurations are small (a few KiB); a bound keeps a hostile one from being buffered whole. */
const MAX_IMAGE_CONFIG_BYTES = 1024 * 1024;
/** Statuses with which registries refuse `_catalog` (Docker Hub 401 even with a token, GHCR 404, others 403). */
const CATALOG_REFUSED = new Set([401, 403, 404, 405]);

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const insecure = new Set((options.insecureHosts ?? []).map((host) => host.toLowerCase()));
  const isInsecure = (host: string): boolean => insecure.has(host.toLowerCase());
  const http: HttpRequester = options.http ?? (options.fetch ? fetchRequester(options.fetch) : undiciRequester);
  const timeouts: RegistryTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const userAgent = options.userAgent ?? `ecrscan/${VERSION}`;
  const maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const pageSize = options.tagPageSize ?? DEFAULT_TAG_PAGE_SIZE;
  const auth = createAuthenticator({
    credentials: options.credentials ?? anonymous,
    http,
    isInsecure,
    requestTimeoutMs: timeouts.requestMs,
    retry,
    userAgent,
    ...(options.log ? { log: options.log } : {}),
    ...(options.allowedRealms ? { allowedRealms: options.allowedRealms } : {}),
  });
  const budget = options.budget ?? UNLIMITED_BUDGET;
  const transport: TransportOptions = { http, auth, isInsecure, timeouts, retry, userAgent, budget, log: options.log };

  function endpoint(repo: RepositoryRef): { base: URL; name: string; scope: string } {
    const { host, name } = apiLocation(repo);
    let base: URL;
    try {
      base = new URL(`${isInsecure(host) ? 'http' : 'https'}://${host}/v2/${name}/`);
    } catch {
      // A configuration stored before its registry was checked as strictly as today (port 99999, say).
      throw new RegistryError('configuration', `registry ${host.slice(0, 300)} is not a valid host[:port]`);
    }
    return { base, name, scope: `repository:${name}:pull` };
  }

  /** GETs a small JSON document (manifest, index, tag list), bounded in size and time. */
  async function getDocument(
    url: URL,
    scope: string,
    accept: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<{ bytes: Buffer; response: HttpResponse; url: URL }> {
    const open = await sendRegistryRequest(transport, { method: 'GET', url, scope, accept, signal, what });
    try {
      return { bytes: await readBodyCapped(open.response, maxManifestBytes, what), response: open.response, url: open.url };
    } catch (err) {
      throw failureOf(err, open.deadline, signal, what);
    } finally {
      open.deadline.clear();
    }
  }

  async function fetchManifest(repo: RepositoryRef, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const { base, name, scope } = endpoint(repo);
    const what = `manifest ${name}${isDigest(reference) ? '@' : ':'}${reference} from ${base.host}`;
    const url = new URL(`manifests/${encodeReference(reference)}`, base);
    const { bytes, response } = await getDocument(url, scope, MANIFEST_ACCEPT, signal, what);
    const digest = verifyManifestDigest(bytes, reference, response.header('docker-content-digest'), what);
    return { bytes, digest, ...kindOfManifest(bytes, response.header('content-type'), what), what };
  }

  async function readImageConfig(repo: RepositoryRef, descriptor: LayerDescriptor, signal: AbortSignal | undefined): Promise<Buffer> {
    if (descriptor.size > MAX_IMAGE_CONFIG_BYTES) throw new RegistryError('too-large', `image configuration ${descriptor.digest} is ${descriptor.size} bytes`);
    const stream = await client.openBlob(repo, descriptor.digest, signal, descriptor.size);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const client: RegistryClient = {
    async listRepositories(registry, signal) {
      const { host } = apiLocation({ registry, repository: 'x' });
      let url: URL | null;
      try {
        url = new URL(`${isInsecure(host) ? 'http' : 'https'}://${host}/v2/_catalog?n=${pageSize}`);
      } catch {
        throw new RegistryError('configuration', `registry ${host.slice(0, 300)} is not a valid host[:port]`);
      }
      const names = new Set<string>();
      const what = `repository catalogue (/v2/_catalog) of ${host}`;
      for (let page = 1; url; page++) {
        if (page > MAX_TAG_PAGES) throw new RegistryError('too-large', `the ${what} spans more than ${MAX_TAG_PAGES} pages`);
        let document;
        try {
          document = await getDocument(url, 'registry:catalog:*', 'application/json', signal, what);
        } catch (err) {
          if (err instanceof RegistryError && err.httpStatus !== null && CATALOG_REFUSED.has(err.httpStatus)) {
            throw new RegistryError(
              'unsupported',
              `${host} does not list its repositories (/v2/_catalog answered ${err.httpStatus}); name the repository instead of a pattern`,
              err.httpStatus,
            );
          }
          throw err;
        }
        for (const name of catalog.parse(document.bytes, what).repositories ?? []) names.add(name);
        url = nextPage(document.response.header('link'), document.url, what);
      }
      return [...names].sort();
    },

    async imageCreated(repo, digest, platform = DEFAULT_PLATFORM, signal) {
      const image = await client.resolveImage(repo, digest, platform, signal);
      const what = `image configuration ${image.config.digest} of ${repo.repository}`;
      const created = imageConfigCreated.parse(await readImageConfig(repo, image.config, signal), what).created;
      const time = created === undefined ? NaN : Date.parse(created);
      return Number.isNaN(time) ? null : new Date(time);
    },

    async listTags(repo, signal) {
      const { base, name, scope } = endpoint(repo);
      const tags = new Set<string>();
      let url: URL | null = new URL(`tags/list?n=${pageSize}`, base);
      for (let page = 1; url; page++) {
        if (page > MAX_TAG_PAGES) throw new RegistryError('too-large', `tags of ${name} span more than ${MAX_TAG_PAGES} pages`);
        const what = `tag list of ${name} from ${base.host}`;
        const document = await getDocument(url, scope, 'application/json', signal, what);
        for (const tag of tagList.parse(document.bytes, what).tags ?? []) tags.add(tag);
        url = nextPage(document.response.header('link'), document.url, what);
      }
      return [...tags];
    },

    async resolveDigest(repo, reference, signal) {
      if (isDigest(reference)) return reference;
      const { base, name, scope } = endpoint(repo);
      const what = `manifest ${name}:${reference} from ${base.host}`;
      const url = new URL(`manifests/${encodeReference(reference)}`, base);
      const open = await sendRegistryRequest(transport, { method: 'HEAD', url, scope, accept: MANIFEST_ACCEPT, signal, what });
      open.deadline.clear();
      discardBody(open.response);
      const header = open.response.header('docker-content-digest');
      if (header && isDigest(header)) return header;
      return (await fetchManifest(repo, reference, signal)).digest;
    },

    async resolveImage(repo, reference, platform = DEFAULT_PLATFORM, signal) {
      let fetched = await fetchManifest(repo, reference, signal);
      const digest = fetched.digest;
      let chosen: Platform | null = null;
      for (let depth = 0; fetched.kind === 'index'; depth++) {
        if (depth >= MAX_INDEX_DEPTH) throw new RegistryError('unsupported', `${fetched.what}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
        const entry = selectPlatformEntry(imageIndex.parse(fetched.bytes, fetched.what), platform);
        chosen = platformOf(entry.platform ?? platform);
        fetched = await fetchManifest(repo, entry.digest, signal);
      }
      if (fetched.kind !== 'manifest') {
        throw new RegistryError('unsupported', `${fetched.what} is a ${fetched.mediaType || 'document of unknown type'}, not an image manifest`);
      }
      const manifest = imageManifest.parse(fetched.bytes, fetched.what);
      checkImageManifest(manifest, fetched.what);
      return {
        digest,
        manifestDigest: fetched.digest,
        manifestMediaType: fetched.mediaType,
        platform: chosen,
        config: descriptorOf(manifest.config),
        layers: manifest.layers.map(descriptorOf),
      };
    },

    async openBlob(repo, digest, signal, size) {
      parseDigest(digest);
      const { base, name, scope } = endpoint(repo);
      const what = `blob ${digest} of ${name} from ${base.host}`;
      const url = new URL(`blobs/${digest}`, base);
      const open = await sendRegistryRequest(transport, { method: 'GET', url, scope, signal, what });
      return new BlobStream({
        body: open.response.body,
        digest,
        expectedSize: size ?? null,
        deadline: open.deadline,
        idleMs: timeouts.idleMs,
        totalMs: timeouts.blobMs,
        minBytesPerSecond: timeouts.minBytesPerSecond,
        signal,
        what,
      });
    },
  };
  return client;
}

interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  kind: ManifestKind;
  mediaType: string;
  what: string;
}

/** Docker Hub's API lives on another host, and its official images under `library/`. */
export function apiLocation(repo: RepositoryRef): { host: string; name: string } {
  const registry = repo.registry.toLowerCase();
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    return { host: 'registry-1.docker.io', name: repo.repository.includes('/') ? repo.repository : `library/${repo.repository}` };
  }
  return { host: registry, name: repo.repository };
}

function encodeReference(reference: string): string {
  return isDigest(reference) ? reference : encodeURIComponent(reference);
}

/**
 * The manifest's digest, checked: against the reference when it is a digest, against
 * `Docker-Content-Digest` when the registry sends one; sha256 of the bytes otherwise.
 */
function verifyManifestDigest(bytes: Buffer, reference: string, header: string | null, what: string): string {
  if (isDigest(reference)) {
    verifyDigest(bytes, reference, what);
    return reference;
  }
  if (header) {
    if (!isDigest(header)) throw new RegistryError('invalid-response', `${what}: Docker-Content-Digest "${header.slice(0, 80)}" is not a digest`);
    verifyDigest(bytes, header, what);
    return header;
  }
  return digestOf(bytes);
}

function kindOfManifest(bytes: Buffer, contentType: string | null, what: string): { kind: ManifestKind; mediaType: string } {
  const head = manifestHead.parse(bytes, what);
  if (head.schemaVersion === 1) throw new RegistryError('unsupported', `${what} is a schema 1 manifest, which is deprecated and not supported`);
  const mediaType = head.mediaType ?? essenceOf(contentType);
  const kind = manifestKindOf(mediaType);
  if (kind !== 'unknown') return { kind, mediaType };
  // OCI lets a manifest leave out its media type; its fields tell what it is.
  if (head.manifests !== undefined) return { kind: 'index', mediaType };
  if (head.config !== undefined) return { kind: 'manifest', mediaType };
  return { kind: 'unknown', mediaType };
}

/** Artifacts (Helm charts, signatures) and Windows foreign layers are not images this scanner reads. */
function checkImageManifest(manifest: ImageManifest, what: string): void {
  if (!IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType)) {
    throw new RegistryError('unsupported', `${what} is not a container image (config type ${manifest.config.mediaType})`);
  }
  const foreign = manifest.layers.find((layer) => !LAYER_TYPES.includes(layer.mediaType));
  if (foreign) throw new RegistryError('unsupported', `${what} has a layer of type ${foreign.mediaType}, which is not read`);
}

function descriptorOf(descriptor: Descriptor): LayerDescriptor {
  return { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size };
}

function platformOf(platform: Platform): Platform {
  return platform.variant ? { os: platform.os, architecture: platform.architecture, variant: platform.variant } : { os: platform.os, architecture: platform.architecture };
}

/** The `rel="next"` target of a `Link` header, which must stay on the registry's origin. */
function nextPage(link: string | null, current: URL, what: string): URL | null {
  if (!link) return null;
  const match = /<([^>]*)>\s*;[^,]*rel="?next"?/i.exec(link);
  if (!match?.[1]) return null;
  const next = new URL(match[1], current);
  if (next.origin !== current.origin) throw new RegistryError('invalid-response', `${what}: the next page is on another host`);
  return next;
}
