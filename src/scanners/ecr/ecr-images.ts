import { DescribeImagesCommand, DescribeRepositoriesCommand, ListImagesCommand, type ImageIdentifier } from '@aws-sdk/client-ecr';
import { repositoryMatches } from '../../domain/scan-config.js';
import type { TagCandidate } from '../tag-selection.js';
import { isTagGlob, tagMatches } from '../../domain/scan-config.js';
import { type ImageRef, type ListedImages, ScanError } from '../scanner.js';
import type { EcrCall } from './ecr-call.js';

/** OCI digest grammar (algorithm ":" encoded), bounded. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,256}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,299}$/;
/** 10,000 pages of 1,000 is far beyond any real repository; more means a broken peer. */
const MAX_PAGES = 10_000;

/** Every tagged image of the repository as (tag, digest) pairs, over all ListImages pages. */
export async function listTaggedImages(call: EcrCall): Promise<{ images: ImageRef[]; rejected: number }> {
  const images: ImageRef[] = [];
  let rejected = 0;
  let nextToken: string | undefined;
  const seenTokens = new Set<string>();
  for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
    const input = { ...call.target.input, filter: { tagStatus: 'TAGGED' as const }, maxResults: 1000, nextToken };
    const response = await call.send('ListImages', (options) => call.client.send(new ListImagesCommand(input), options));
    for (const id of response.imageIds ?? []) {
      const image = imageRefOf(id);
      if (image) images.push(image);
      else rejected += 1;
    }
    nextToken = response.nextToken;
    if (!nextToken) return { images, rejected };
    if (seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }
  throw new ScanError('FAILED', 'ECR ListImages kept answering with more pages (a repeated or endless nextToken)', true);
}

/**
 * Every tagged image of the repository with its push time (`imagePushedAt`), over all
 * DescribeImages pages: what `newest` and `pushedWithin` choose by. One page of 1,000
 * images answers for all their tags, so a repository of 10,000 tags costs at most 10 calls.
 */
export async function describeTaggedImages(call: EcrCall): Promise<{ candidates: TagCandidate[]; rejected: number }> {
  const candidates: TagCandidate[] = [];
  let rejected = 0;
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
    const input = { ...call.target.input, filter: { tagStatus: 'TAGGED' as const }, maxResults: 1000, nextToken };
    const response = await call.send('DescribeImages', (options) => call.client.send(new DescribeImagesCommand(input), options));
    for (const detail of response.imageDetails ?? []) {
      const pushedAt = detail.imagePushedAt instanceof Date && !Number.isNaN(detail.imagePushedAt.getTime()) ? detail.imagePushedAt : null;
      for (const tag of detail.imageTags ?? []) {
        const image = imageRefOf({ imageDigest: detail.imageDigest, imageTag: tag });
        if (image) candidates.push({ ...image, pushedAt });
        else rejected += 1;
      }
    }
    nextToken = response.nextToken;
    if (!nextToken) return { candidates, rejected };
    if (seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }
  throw new ScanError('FAILED', 'ECR DescribeImages kept answering with more pages (a repeated or endless nextToken)', true);
}

/** The registry's repositories whose names match `glob`, over all DescribeRepositories pages, in name order. */
export async function matchingRepositories(call: EcrCall, glob: string): Promise<string[]> {
  const names: string[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
    const input = { registryId: call.target.registryId, maxResults: 1000, nextToken };
    const response = await call.send('DescribeRepositories', (options) => call.client.send(new DescribeRepositoriesCommand(input), options));
    for (const repository of response.repositories ?? []) {
      const name = repository.repositoryName;
      if (typeof name === 'string' && repositoryMatches(glob, name)) names.push(name);
    }
    nextToken = response.nextToken;
    if (!nextToken) return names.sort(compareText);
    if (seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }
  throw new ScanError('FAILED', 'ECR DescribeRepositories kept answering with more pages (a repeated or endless nextToken)', true);
}

function imageRefOf(id: ImageIdentifier): ImageRef | null {
  const { imageDigest, imageTag } = id;
  if (typeof imageDigest !== 'string' || !DIGEST.test(imageDigest)) return null;
  if (typeof imageTag !== 'string' || !TAG.test(imageTag)) return null;
  return { tag: imageTag, digest: imageDigest };
}

/**
 * The configuration's images among the repository's: every tagged image when `tags`
 * is null, else each entry's exact tag or glob matches. Each tag appears once; tags that
 * share a digest stay separate entries (the caller scans the digest once). Exact tags
 * that the repository lacks are reported; a glob matching nothing is simply empty.
 */
export function selectImages(all: readonly ImageRef[], tags: readonly string[] | null): ListedImages {
  const byTag = new Map<string, ImageRef>();
  for (const image of all) if (!byTag.has(image.tag)) byTag.set(image.tag, image);
  if (tags === null) {
    return { images: [...byTag.values()].sort((a, b) => compareText(a.tag, b.tag)), missingTags: [] };
  }
  const chosen = new Map<string, ImageRef>();
  const missingTags: string[] = [];
  for (const entry of tags) {
    if (!isTagGlob(entry)) {
      const image = byTag.get(entry);
      if (image) chosen.set(entry, image);
      else missingTags.push(entry);
      continue;
    }
    for (const image of byTag.values()) if (tagMatches(entry, image.tag)) chosen.set(image.tag, image);
  }
  return { images: [...chosen.values()], missingTags };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
