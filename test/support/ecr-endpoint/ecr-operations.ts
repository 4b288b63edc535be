import { describeImages, listImages } from './ecr-image-operations.js';
import type { Operation } from './ecr-operation-context.js';
import { describeRepositories } from './ecr-repository-operations.js';
import { describeImageScanFindings, getRegistryScanningConfiguration, startImageScan } from './ecr-scan-operations.js';

export type { Operation, OperationContext } from './ecr-operation-context.js';

/** The ECR operations the endpoint speaks, by their X-Amz-Target name. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  ListImages: listImages,
  DescribeImages: describeImages,
  DescribeRepositories: describeRepositories,
  StartImageScan: startImageScan,
  DescribeImageScanFindings: describeImageScanFindings,
  GetRegistryScanningConfiguration: getRegistryScanningConfiguration,
};
