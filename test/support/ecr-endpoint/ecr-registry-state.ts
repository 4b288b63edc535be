import { EcrWireError, describeImageId, type ImageIdentifier, type JsonObject } from './ecr-wire.js';

/** A basic-scanning finding exactly as ECR serialises it. */
export interface BasicFindingWire {
  name: string;
  description?: string;
  uri?: string;
  severity: string;
  attributes?: { key: string; value?: string }[];
}

/** An Amazon Inspector finding as `enhancedFindings` carries it (timestamps in epoch seconds). */
export type EnhancedFindingWire = JsonObject;

export type BasicScanEnd = 'COMPLETE' | 'FAILED' | 'UNSUPPORTED_IMAGE' | 'FINDINGS_UNAVAILABLE' | 'SCAN_ELIGIBILITY_EXPIRED';
export type EnhancedScanStatus = 'ACTIVE' | 'PENDING' | 'SCAN_ELIGIBILITY_EXPIRED' | 'FINDINGS_UNAVAILABLE' | 'UNSUPPORTED_IMAGE' | 'FAILED';
export type ScanType = 'BASIC' | 'ENHANCED';

export interface ImageSpec {
  digest: string;
  tags: string[];
  pushedAt?: Date;
  sizeBytes?: number;
  /** What a basic scan finds. */
  findings?: BasicFindingWire[];
  /** What Inspector reports for the image while the registry is on enhanced scanning. */
  enhancedFindings?: EnhancedFindingWire[];
  /** How a basic scan of this image ends; COMPLETE unless said otherwise. */
  scanEnd?: BasicScanEnd;
  scanDescription?: string;
  /** Inspector's status for the image; ACTIVE unless said otherwise. */
  enhancedStatus?: EnhancedScanStatus;
  /** DescribeImageScanFindings answers IN_PROGRESS this many times after a start. */
  pollsUntilDone?: number;
  /** A basic scan that completed at this time: its findings are readable, and it counts against the 24-hour quota. */
  lastScanAt?: Date;
}

export interface ScanProgress {
  phase: 'NONE' | 'IN_PROGRESS' | 'DONE';
  startedAt: Date | null;
  completedAt: Date | null;
  pollsLeft: number;
}

export interface ImageState {
  spec: ImageSpec;
  scan: ScanProgress;
  /** How many times a scan of this image was started. */
  scansStarted: number;
}

export interface RepositoryState {
  name: string;
  createdAt: Date;
  images: Map<string, ImageState>;
}

export interface RegistryState {
  accountId: string;
  scanType: ScanType;
  denied: boolean;
  repositories: Map<string, RepositoryState>;
}

/** Everything the endpoint knows: registries by account id. */
export class EcrState {
  readonly registries = new Map<string, RegistryState>();

  registry(accountId: string, scanType: ScanType = 'BASIC'): RegistryState {
    let registry = this.registries.get(accountId);
    if (!registry) {
      registry = { accountId, scanType, denied: false, repositories: new Map() };
      this.registries.set(accountId, registry);
    }
    return registry;
  }

  addRepository(accountId: string, name: string, images: ImageSpec[], now: Date): RepositoryState {
    const repository: RepositoryState = { name, createdAt: now, images: new Map() };
    for (const spec of images) repository.images.set(spec.digest, newImageState(spec));
    this.registry(accountId).repositories.set(name, repository);
    return repository;
  }

  /** Removes a tag as `BatchDeleteImage` by tag does: an image left without tags goes too. */
  deleteTag(accountId: string, repositoryName: string, tag: string): void {
    const repository = this.registries.get(accountId)?.repositories.get(repositoryName);
    if (!repository) return;
    for (const [digest, image] of repository.images) {
      image.spec.tags = image.spec.tags.filter((t) => t !== tag);
      if (image.spec.tags.length === 0) repository.images.delete(digest);
    }
  }
}

function newImageState(spec: ImageSpec): ImageState {
  const done = spec.lastScanAt ?? null;
  return {
    spec: { ...spec, tags: [...spec.tags] },
    scan: { phase: done ? 'DONE' : 'NONE', startedAt: done, completedAt: done, pollsLeft: 0 },
    scansStarted: 0,
  };
}

/** The registry a request names, as ECR answers for one the caller may not read. */
export function reachableRegistry(state: EcrState, registryId: string, operation: string, resource: string, region: string): RegistryState {
  const registry = state.registries.get(registryId);
  if (!registry || registry.denied) {
    throw new EcrWireError(
      'AccessDeniedException',
      `User: arn:aws:iam::000000000000:user/ecrscan is not authorized to perform: ecr:${operation} on resource: ` +
        `arn:aws:ecr:${region}:${registryId}:repository/${resource} because no resource-based policy allows the ecr:${operation} action`,
    );
  }
  return registry;
}

export function repositoryIn(registry: RegistryState, name: string): RepositoryState {
  const repository = registry.repositories.get(name);
  if (!repository) {
    throw new EcrWireError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${registry.accountId}'`,
    );
  }
  return repository;
}

export function imageIn(registry: RegistryState, repository: RepositoryState, id: ImageIdentifier): ImageState {
  for (const image of repository.images.values()) {
    const digestMatches = id.imageDigest === undefined || image.spec.digest === id.imageDigest;
    const tagMatches = id.imageTag === undefined || image.spec.tags.includes(id.imageTag);
    if (digestMatches && tagMatches) return image;
  }
  throw new EcrWireError(
    'ImageNotFoundException',
    `The image with imageId ${describeImageId(id)} does not exist within the repository with name '${repository.name}' ` +
      `in the registry with id '${registry.accountId}'`,
  );
}
