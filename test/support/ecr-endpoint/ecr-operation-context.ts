import {
  type EcrState,
  type RegistryState,
  type RepositoryState,
  reachableRegistry,
  repositoryIn,
} from './ecr-registry-state.js';
import { type JsonObject, registryIdOf, requiredString } from './ecr-wire.js';

export interface OperationContext {
  state: EcrState;
  /** The account the request's credentials belong to: the default registry. */
  callerAccount: string;
  /** From the request's SigV4 credential scope. */
  region: string;
  now: Date;
  pageCap: number;
  defaultPollsUntilDone: number;
}

export type Operation = (ctx: OperationContext, body: JsonObject) => JsonObject;

/** The registry and repository a request names, or ECR's error for them. */
export interface Target {
  registry: RegistryState;
  repository: RepositoryState;
}

export function targetOf(ctx: OperationContext, body: JsonObject, operation: string): Target {
  const name = requiredString(body, 'repositoryName');
  const registry = reachableRegistry(ctx.state, registryIdOf(body, ctx.callerAccount), operation, name, ctx.region);
  return { registry, repository: repositoryIn(registry, name) };
}
