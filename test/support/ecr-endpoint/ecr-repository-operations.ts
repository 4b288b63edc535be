import type { OperationContext } from './ecr-operation-context.js';
import { reachableRegistry } from './ecr-registry-state.js';
import { type JsonObject, epochSeconds, page, pageRequestOf, registryIdOf } from './ecr-wire.js';

/* DescribeRepositories: the registry's repositories in name order, paged as ECR does. */

export function describeRepositories(ctx: OperationContext, body: JsonObject): JsonObject {
  const registry = reachableRegistry(ctx.state, registryIdOf(body, ctx.callerAccount), 'DescribeRepositories', '*', ctx.region);
  const repositories = [...registry.repositories.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { items, nextToken } = page(repositories, pageRequestOf(body, 'DescribeRepositories', ctx.pageCap), 'DescribeRepositories');
  return {
    repositories: items.map((repository) => ({
      repositoryArn: `arn:aws:ecr:${ctx.region}:${registry.accountId}:repository/${repository.name}`,
      registryId: registry.accountId,
      repositoryName: repository.name,
      repositoryUri: `${registry.accountId}.dkr.ecr.${ctx.region}.amazonaws.com/${repository.name}`,
      createdAt: epochSeconds(repository.createdAt),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    })),
    ...(nextToken ? { nextToken } : {}),
  };
}
