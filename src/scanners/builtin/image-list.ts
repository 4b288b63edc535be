import { isAccountId, isTagGlob, type ScanConfig } from '../../domain/scan-config.js';
import type { ImageRef, LeftOut, ListedImages } from '../scanner.js';
import { missingExactTags, selectTags, type TagCandidate, type TagRule, tagSelected } from '../tag-selection.js';
import { mapBounded } from './map-bounded.js';
import type { RegistryClient, RepositoryRef } from './registry/registry-client.js';
import { RegistryError } from './registry/registry-error.js';

/** Tags resolved to digests at once: enough to hide round trips, few enough for any registry's rate limits. */
const RESOLVE_CONCURRENCY = 8;
/** Left-out tags named in a report: enough to recognise which, short enough to read. */
const LEFT_OUT_EXAMPLES = 10;

/**
 * The repository a configuration names: its registry host, or for an account id (ECR
 * named the way the ECR scanner names it) the account's ECR host in the region.
 */
export function repositoryOf(config: Pick<ScanConfig, 'registry' | 'region' | 'repository'>): RepositoryRef {
  if (isAccountId(config.registry) && config.region) {
    const domain = config.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return { registry: `${config.registry}.dkr.ecr.${config.region}.${domain}`, repository: config.repository };
  }
  return { registry: config.registry, repository: config.repository };
}

/**
 * The configuration's images: every tag when `tags` is null, else each exact tag and
 * every tag a glob matches, less those `exclude` names, each with the digest it points at
 * now. Tags sharing a digest are listed each (the scheduler scans the digest once); exact
 * tags the repository lacks are reported as missing. The tag list is read only when it is
 * needed, once. Past `maxImages` tags (exact ones first, then listed ones in the
 * registry's order) nothing is resolved: a repository of 100,000 tags costs one listing,
 * not 100,000 requests. With `newest` or `pushedWithin`, see `listByPushTime`.
 */
export async function listConfiguredImages(
  client: RegistryClient,
  repo: RepositoryRef,
  rule: TagRule,
  signal: AbortSignal,
  maxImages = Number.POSITIVE_INFINITY,
): Promise<ListedImages> {
  const tags = rule.tags ?? null;
  const exact = tags === null ? [] : tags.filter((entry) => !isTagGlob(entry) && tagSelected(rule, entry));
  const globs = tags === null ? [] : tags.filter(isTagGlob);
  const listed = tags === null || globs.length > 0 ? await client.listTags(repo, signal) : [];
  // One pass over the listing, keeping no more than the cap: a listing can hold 100,000 tags.
  const wanted = exact.slice(0, maxImages);
  const chosen = new Set(exact);
  let leftOutCount = exact.length - wanted.length;
  const examples = exact.slice(wanted.length, wanted.length + LEFT_OUT_EXAMPLES);
  for (const tag of listed) {
    if (chosen.has(tag) || !tagSelected(rule, tag)) continue;
    chosen.add(tag);
    if (wanted.length < maxImages) {
      wanted.push(tag);
      continue;
    }
    leftOutCount += 1;
    if (examples.length < LEFT_OUT_EXAMPLES) examples.push(tag);
  }
  const leftOut: LeftOut | null = leftOutCount > 0 ? { count: leftOutCount, examples } : null;
  const exactSet = new Set(exact);

  const digests = await resolveAll(client, repo, wanted, signal);
  const images: ImageRef[] = [];
  const missingTags: string[] = [];
  wanted.forEach((tag, i) => {
    const digest = digests[i];
    // A listed tag deleted before it was resolved is simply gone; a configured one is missing.
    if (digest) images.push({ tag, digest });
    else if (exactSet.has(tag)) missingTags.push(tag);
  });
  images.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return leftOut ? { images, missingTags, leftOut } : { images, missingTags };
}

/**
 * `newest` and `pushedWithin` over an OCI registry, which lists tags without push times:
 * every selected tag is resolved to its digest (a HEAD each), and each digest's push time
 * is its image configuration's `created`, read from the registry once and then kept
 * (`PushTimes`). The cap applies to what the rule chose.
 */
export async function listByPushTime(
  client: RegistryClient,
  repo: RepositoryRef,
  rule: TagRule,
  pushTimes: (digests: string[]) => Promise<Map<string, Date | null>>,
  now: Date,
  signal: AbortSignal,
): Promise<ListedImages> {
  const listed = await client.listTags(repo, signal);
  const candidatesTags = listed.filter((tag) => tagSelected(rule, tag));
  const digests = await resolveAll(client, repo, candidatesTags, signal);
  const resolved = candidatesTags.flatMap((tag, i) => (digests[i] ? [{ tag, digest: digests[i] }] : []));
  const times = await pushTimes(resolved.map((image) => image.digest));
  const candidates: TagCandidate[] = resolved.map((image) => ({ ...image, pushedAt: times.get(image.digest) ?? null }));
  const images = selectTags(candidates, rule, now).map(({ tag, digest }) => ({ tag, digest }));
  return { images, missingTags: missingExactTags(rule, new Set(resolved.map((image) => image.tag))) };
}

/** The digest of each tag (null for a tag deleted since it was listed), a few requests at once. */
function resolveAll(client: RegistryClient, repo: RepositoryRef, tags: readonly string[], signal: AbortSignal): Promise<(string | null)[]> {
  return mapBounded(tags, RESOLVE_CONCURRENCY, async (tag) => {
    try {
      return await client.resolveDigest(repo, tag, signal);
    } catch (err) {
      if (err instanceof RegistryError && err.kind === 'not-found') return null;
      throw err;
    }
  });
}
