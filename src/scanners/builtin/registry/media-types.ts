/** Manifest and index media types of the OCI image spec and of Docker's v2 schema 2. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

/**
 * Every request for a manifest names all four types: a registry picks among what the
 * client accepts, and the reference registry answers 404 or converts to schema 1 when
 * the stored type is missing from `Accept`.
 */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export type ManifestKind = 'manifest' | 'index' | 'schema1' | 'unknown';

export function manifestKindOf(mediaType: string): ManifestKind {
  if (mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST) return 'manifest';
  if (mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST) return 'index';
  if (DOCKER_SCHEMA1.includes(mediaType)) return 'schema1';
  return 'unknown';
}

export const IMAGE_CONFIG_TYPES: readonly string[] = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];

/** Layer media types whose blobs are (possibly compressed) tar archives this scanner reads. */
export const LAYER_TYPES: readonly string[] = [
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
];

/** `type/subtype` of a Content-Type header, without parameters, lower-cased. */
export function essenceOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
