import { REPOSITORY_PATTERN } from '../../domain/scan-config.js';
import { CliError } from '../cli-error.js';

/** An image as `docker pull` names it, resolved to its registry, repository and tag or digest. */
export interface ImageReference {
  /** Registry host `name[:port]`; `docker.io` for Docker Hub. */
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  /** `registry/repository:tag` (or `@digest`), as documents name the image. */
  display: string;
}

const REPOSITORY = new RegExp(REPOSITORY_PATTERN);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Docker's reading of an image name: the first path component is a registry when it has a
 * dot or a port or is `localhost`; otherwise the image is on Docker Hub, under `library/`
 * when it has one component. No tag and no digest means `latest`.
 */
export function parseImageReference(text: string): ImageReference {
  const invalid = (why: string): CliError => new CliError(`"${text}" is not an image reference: ${why}`, 2);
  let rest = text.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('the digest must be sha256: and 64 hex digits');
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first.toLowerCase() : 'docker.io';
  let repository = (hasRegistry ? parts.slice(1) : parts).join('/');
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) throw invalid('the repository must be lower-case path components');
  if (tag === null && digest === null) tag = 'latest';
  const display = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, repository, tag, digest, display };
}
