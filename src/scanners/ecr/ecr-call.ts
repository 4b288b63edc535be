import { ecrRegistryOf, type ScanConfig } from '../../domain/scan-config.js';
import { ScanError } from '../scanner.js';
import type { EcrSend } from './ecr-client.js';
import { toScanError } from './ecr-errors.js';
import { type RequestBudget, UNLIMITED_BUDGET } from '../request-budget.js';

/** The repository a configuration names, as ECR's requests spell it. */
export interface EcrTarget {
  region: string;
  registryId: string;
  repository: string;
  input: { registryId: string; repositoryName: string };
}

/** `repository`: one of the repositories a glob configuration matched; the configuration's own by default. */
export function ecrTargetOf(config: ScanConfig, repository = config.repository): EcrTarget {
  const registry = ecrRegistryOf(config);
  if (!registry || !registry.region) {
    throw new ScanError('FAILED', `"${config.registry}" is not an ECR registry with a region; the ecr scanner cannot read it`);
  }
  return {
    region: registry.region,
    registryId: registry.accountId,
    repository,
    input: { registryId: registry.accountId, repositoryName: repository },
  };
}

export interface SendOptions {
  abortSignal: AbortSignal;
}

/** One scan's ECR calls: a client, a repository and the caller's AbortSignal. */
export interface EcrCall {
  readonly client: EcrSend;
  readonly target: EcrTarget;
  readonly signal: AbortSignal;
  /** Runs one SDK call; any failure becomes a ScanError (or the abort reason when cancelled). */
  send<T>(operation: string, run: (options: SendOptions) => Promise<T>, digest?: string): Promise<T>;
  /** Runs one SDK call within the region's request budget, its errors untouched (for callers that classify them). */
  limited<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** What `send` would throw for this error. */
  failure(err: unknown, operation: string, digest?: string): unknown;
}

/** The host an ECR region's budget is kept under (the API's own host; quotas are per account and region). */
export function ecrBudgetHost(region: string): string {
  return `api.ecr.${region}.amazonaws.com`;
}

export function ecrCall(client: EcrSend, target: EcrTarget, signal: AbortSignal, requestTimeoutMs?: number, budget: RequestBudget = UNLIMITED_BUDGET): EcrCall {
  const call: EcrCall = {
    client,
    target,
    signal,
    async send(operation, run, digest) {
      signal.throwIfAborted();
      try {
        return await call.limited(() => run({ abortSignal: signal }));
      } catch (err) {
        throw call.failure(err, operation, digest);
      }
    },
    async limited(run, waitSignal = signal) {
      const release = await budget.acquire(ecrBudgetHost(target.region), waitSignal);
      try {
        return await run();
      } finally {
        release();
      }
    },
    failure(err, operation, digest) {
      if (signal.aborted) return signal.reason ?? err;
      return toScanError(err, {
        operation,
        region: target.region,
        registryId: target.registryId,
        repository: target.repository,
        ...(digest ? { digest } : {}),
        ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
      });
    },
  };
  return call;
}
