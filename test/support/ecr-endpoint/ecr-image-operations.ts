import { type ImageState, imageIn } from './ecr-registry-state.js';
import { enhancedDescription, basicDescription, summaryOf } from './ecr-scan-operations.js';
import { type OperationContext, type Target, targetOf } from './ecr-operation-context.js';
import { type JsonObject, epochSeconds, imageIdOf, invalidParameter, isObject, page, pageRequestOf } from './ecr-wire.js';

/* ListImages and DescribeImages: every image of a repository, filtered and paged as ECR does. */

function tagStatusOf(body: JsonObject): 'TAGGED' | 'UNTAGGED' | 'ANY' {
  const filter = body.filter;
  if (filter === undefined || filter === null) return 'ANY';
  const tagStatus = isObject(filter) ? filter.tagStatus : undefined;
  if (tagStatus === undefined) return 'ANY';
  if (tagStatus === 'TAGGED' || tagStatus === 'UNTAGGED' || tagStatus === 'ANY') return tagStatus;
  throw invalidParameter('filter.tagStatus', 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]');
}

function keptBy(tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY', image: ImageState): boolean {
  const tagged = image.spec.tags.length > 0;
  return tagStatus === 'ANY' || (tagStatus === 'TAGGED') === tagged;
}

export function listImages(ctx: OperationContext, body: JsonObject): JsonObject {
  const { repository } = targetOf(ctx, body, 'ListImages');
  const tagStatus = tagStatusOf(body);
  const ids: JsonObject[] = [];
  for (const image of repository.images.values()) {
    if (!keptBy(tagStatus, image)) continue;
    if (image.spec.tags.length === 0) ids.push({ imageDigest: image.spec.digest });
    for (const tag of image.spec.tags) ids.push({ imageDigest: image.spec.digest, imageTag: tag });
  }
  const { items, nextToken } = page(ids, pageRequestOf(body, 'ListImages', ctx.pageCap), 'ListImages');
  return { imageIds: items, ...(nextToken ? { nextToken } : {}) };
}

export function describeImages(ctx: OperationContext, body: JsonObject): JsonObject {
  const target = targetOf(ctx, body, 'DescribeImages');
  const requested = Array.isArray(body.imageIds) ? body.imageIds : [];
  if (requested.length > 0) {
    if (body.nextToken !== undefined || body.maxResults !== undefined) {
      throw invalidParameter('imageIds', 'imageIds can not be used together with nextToken or maxResults');
    }
    const images = requested.map((id, i) => imageIn(target.registry, target.repository, imageIdOf(id, `imageIds.${i + 1}`)));
    return { imageDetails: images.map((image) => imageDetail(ctx, target, image)) };
  }
  const tagStatus = tagStatusOf(body);
  const images = [...target.repository.images.values()].filter((image) => keptBy(tagStatus, image));
  const { items, nextToken } = page(images, pageRequestOf(body, 'DescribeImages', ctx.pageCap), 'DescribeImages');
  return { imageDetails: items.map((image) => imageDetail(ctx, target, image)), ...(nextToken ? { nextToken } : {}) };
}

function imageDetail(ctx: OperationContext, { registry, repository }: Target, image: ImageState): JsonObject {
  const { spec, scan } = image;
  const detail: JsonObject = {
    registryId: registry.accountId,
    repositoryName: repository.name,
    imageDigest: spec.digest,
    ...(spec.tags.length > 0 ? { imageTags: spec.tags } : {}),
    imageSizeInBytes: spec.sizeBytes ?? 31_457_280,
    imagePushedAt: epochSeconds(spec.pushedAt ?? repository.createdAt),
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactMediaType: 'application/vnd.oci.image.config.v1+json',
    imageStatus: 'ACTIVE',
  };
  if (registry.scanType === 'ENHANCED') {
    const status = spec.enhancedStatus ?? 'ACTIVE';
    detail.imageScanStatus = { status, description: enhancedDescription(status) };
    if (status === 'ACTIVE') detail.imageScanFindingsSummary = summaryOf(spec.enhancedFindings ?? [], ctx.now);
  } else if (scan.phase === 'IN_PROGRESS') {
    detail.imageScanStatus = { status: 'IN_PROGRESS' };
  } else if (scan.phase === 'DONE') {
    const end = spec.scanEnd ?? 'COMPLETE';
    detail.imageScanStatus = { status: end, description: spec.scanDescription ?? basicDescription(end) };
    if (end === 'COMPLETE') detail.imageScanFindingsSummary = summaryOf(spec.findings ?? [], scan.completedAt ?? ctx.now);
  }
  return detail;
}
