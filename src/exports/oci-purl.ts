import { formatPurl } from './purl-format.js';
import type { ExportedImage } from './export-inputs.js';

/**
 * The image as purl-spec's `oci` type names it: the last path segment of the repository,
 * the digest as version, the repository as `repository_url`.
 */
export function ociPurlOf(image: ExportedImage): string {
  const repository = image.repository ?? image.name;
  const base = repository.split('/').pop() ?? repository;
  const name = base.replace(/[:@].*$/, '').toLowerCase() || 'image';
  const qualifiers: Record<string, string> = {};
  if (image.repository) qualifiers['repository_url'] = image.repository;
  const arch = image.platform?.split('/')[1];
  if (arch) qualifiers['arch'] = arch;
  return formatPurl({ type: 'oci', namespace: null, name, version: image.digest, qualifiers, subpath: null });
}
