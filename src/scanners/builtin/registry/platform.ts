import { RegistryError } from './registry-error.js';
import type { ImageIndex } from './schemas.js';

/** An image platform as OCI indexes describe it: `linux/amd64`, `linux/arm64/v8`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: Readonly<Platform> = Object.freeze({ os: 'linux', architecture: 'amd64' });

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined || variant === '') {
    throw new RegistryError('configuration', `platform "${text}" is not os/architecture[/variant]`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * The variant an index entry without one stands for. Docker and containerd treat
 * `arm64` as `arm64/v8` and `arm` as `arm/v7` when no variant is written.
 */
function variantOf(architecture: string, variant: string | undefined): string {
  if (variant) return variant;
  if (architecture === 'arm64') return 'v8';
  if (architecture === 'arm') return 'v7';
  return '';
}

type IndexEntry = ImageIndex['manifests'][number];

/** Entries that describe something other than a runnable image (BuildKit attestations). */
function isAttestation(entry: IndexEntry): boolean {
  return entry.annotations?.['vnd.docker.reference.type'] !== undefined;
}

/**
 * The index entry for `wanted`: the same os and architecture, and the same variant when
 * one is asked for (or the architecture's usual one when none is).
 */
export function selectPlatformEntry(index: ImageIndex, wanted: Platform): IndexEntry {
  const wantedVariant = variantOf(wanted.architecture, wanted.variant);
  const candidates = index.manifests.filter(
    (entry) =>
      !isAttestation(entry) &&
      entry.platform?.os === wanted.os &&
      entry.platform.architecture === wanted.architecture,
  );
  const exact = candidates.find((entry) => variantOf(wanted.architecture, entry.platform?.variant) === wantedVariant);
  const chosen = exact ?? (wanted.variant === undefined ? candidates[0] : undefined);
  if (chosen) return chosen;
  const available = index.manifests
    .filter((entry) => entry.platform && !isAttestation(entry))
    .map((entry) => formatPlatform(entry.platform as Platform));
  throw new RegistryError(
    'unsupported',
    `the image index has no ${formatPlatform(wanted)} image (it has ${available.length > 0 ? available.join(', ') : 'no platform entries'})`,
  );
}
