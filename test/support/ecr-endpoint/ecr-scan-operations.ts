import { type ImageState, imageIn, reachableRegistry } from './ecr-registry-state.js';
import { type OperationContext, type Target, targetOf } from './ecr-operation-context.js';
import { EcrWireError, type JsonObject, epochSeconds, imageIdOf, page, pageRequestOf } from './ecr-wire.js';

/*
 * Scanning as ECR does it. Basic: StartImageScan, then DescribeImageScanFindings answers
 * IN_PROGRESS for the image's number of polls before the final status; a second start
 * within 24 hours of the last is refused with LimitExceededException. Enhanced: starts
 * are refused (ValidationException) and findings are always readable, status ACTIVE.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const COMPLETE_DESCRIPTION = 'The scan was completed successfully.';

export function startImageScan(ctx: OperationContext, body: JsonObject): JsonObject {
  const target = targetOf(ctx, body, 'StartImageScan');
  const imageId = imageIdOf(body.imageId);
  const image = imageIn(target.registry, target.repository, imageId);
  if (target.registry.scanType === 'ENHANCED') {
    throw new EcrWireError('ValidationException', 'This feature is disabled.');
  }
  const lastStart = image.scan.startedAt;
  if (lastStart && ctx.now.getTime() - lastStart.getTime() < DAY_MS) {
    throw new EcrWireError('LimitExceededException', 'The scan quota per image has been exceeded. Wait and try again.');
  }
  image.scan = {
    phase: 'IN_PROGRESS',
    startedAt: ctx.now,
    completedAt: null,
    pollsLeft: image.spec.pollsUntilDone ?? ctx.defaultPollsUntilDone,
  };
  image.scansStarted += 1;
  return {
    registryId: target.registry.accountId,
    repositoryName: target.repository.name,
    imageId: { imageDigest: image.spec.digest, ...(imageId.imageTag ? { imageTag: imageId.imageTag } : {}) },
    imageScanStatus: { status: 'IN_PROGRESS' },
  };
}

export function describeImageScanFindings(ctx: OperationContext, body: JsonObject): JsonObject {
  const target = targetOf(ctx, body, 'DescribeImageScanFindings');
  const imageId = imageIdOf(body.imageId);
  const image = imageIn(target.registry, target.repository, imageId);
  const pageRequest = pageRequestOf(body, 'DescribeImageScanFindings', ctx.pageCap);
  const head = {
    registryId: target.registry.accountId,
    repositoryName: target.repository.name,
    imageId: { imageDigest: image.spec.digest, ...(image.spec.tags[0] ? { imageTag: imageId.imageTag ?? image.spec.tags[0] } : {}) },
  };
  if (target.registry.scanType === 'ENHANCED') {
    const status = image.spec.enhancedStatus ?? 'ACTIVE';
    const imageScanStatus = { status, description: enhancedDescription(status) };
    if (status !== 'ACTIVE') return { ...head, imageScanStatus };
    const all = image.spec.enhancedFindings ?? [];
    const { items, nextToken } = page(all, pageRequest, 'DescribeImageScanFindings');
    const imageScanFindings = { ...summaryOf(all, ctx.now), enhancedFindings: items };
    return { ...head, imageScanStatus, imageScanFindings, ...(nextToken ? { nextToken } : {}) };
  }
  advanceScan(image, ctx.now, target, imageId);
  if (image.scan.phase === 'IN_PROGRESS') return { ...head, imageScanStatus: { status: 'IN_PROGRESS' } };
  const end = image.spec.scanEnd ?? 'COMPLETE';
  const imageScanStatus = { status: end, description: image.spec.scanDescription ?? basicDescription(end) };
  if (end !== 'COMPLETE') return { ...head, imageScanStatus };
  const all = image.spec.findings ?? [];
  const { items, nextToken } = page(all, pageRequest, 'DescribeImageScanFindings');
  const imageScanFindings = { ...summaryOf(all, image.scan.completedAt ?? ctx.now), findings: items };
  return { ...head, imageScanStatus, imageScanFindings, ...(nextToken ? { nextToken } : {}) };
}

/** A running basic scan finishes after its configured number of polls. */
function advanceScan(image: ImageState, now: Date, target: Target, imageId: { imageDigest?: string; imageTag?: string }): void {
  const { scan } = image;
  if (scan.phase === 'NONE') {
    throw new EcrWireError(
      'ScanNotFoundException',
      `Image scan does not exist for the image with '{imageDigest:'${imageId.imageDigest ?? 'null'}', imageTag:'${imageId.imageTag ?? 'null'}'}' ` +
        `in the repository with name '${target.repository.name}' in the registry with id '${target.registry.accountId}'`,
    );
  }
  if (scan.phase !== 'IN_PROGRESS') return;
  if (scan.pollsLeft > 0) {
    scan.pollsLeft -= 1;
    return;
  }
  image.scan = { ...scan, phase: 'DONE', completedAt: now };
}

export function basicDescription(end: string): string {
  switch (end) {
    case 'COMPLETE':
      return COMPLETE_DESCRIPTION;
    case 'UNSUPPORTED_IMAGE':
      return 'UnsupportedImageError: The operating system and/or package manager are not supported.';
    default:
      return `The scan ended with status ${end}.`;
  }
}

export function enhancedDescription(status: string): string {
  switch (status) {
    case 'ACTIVE':
      return 'Continuous scan is selected for image.';
    case 'PENDING':
      return 'The image is pending a scan.';
    case 'SCAN_ELIGIBILITY_EXPIRED':
      return 'The scan duration for this image has expired.';
    default:
      return `Enhanced scanning status ${status}.`;
  }
}

export function getRegistryScanningConfiguration(ctx: OperationContext): JsonObject {
  const registry = reachableRegistry(ctx.state, ctx.callerAccount, 'GetRegistryScanningConfiguration', '*', ctx.region);
  const rules =
    registry.scanType === 'ENHANCED'
      ? [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }]
      : [];
  return { registryId: registry.accountId, scanningConfiguration: { scanType: registry.scanType, rules } };
}

export function summaryOf(findings: readonly JsonObject[] | readonly { severity: string }[], completedAt: Date): JsonObject {
  const counts: Record<string, number> = {};
  for (const finding of findings) {
    const severity = String((finding as { severity?: unknown }).severity ?? 'UNDEFINED');
    counts[severity] = (counts[severity] ?? 0) + 1;
  }
  return {
    imageScanCompletedAt: epochSeconds(completedAt),
    vulnerabilitySourceUpdatedAt: epochSeconds(completedAt),
    findingSeverityCounts: counts,
  };
}
