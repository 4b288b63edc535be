import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';

/** All the scanner needs of an ECR client. */
export type EcrSend = Pick<ECRClient, 'send'>;

export interface EcrClientOptions {
  /** Longest one HTTP exchange may take before it counts as a (retryable) timeout. */
  requestTimeoutMs?: number;
  /** Attempts per call, the first included; retries back off exponentially. */
  maxAttempts?: number;
  /** `adaptive` also slows the client down after ECR throttles it. */
  retryMode?: 'adaptive' | 'standard';
  /** Anything else for the SDK (credentials, endpoint, …); the standard chains apply otherwise. */
  config?: Partial<ECRClientConfig>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * An ECR client for one region. Credentials and the endpoint come from the SDK's
 * standard chains unless given: the SDK itself reads AWS_ENDPOINT_URL_ECR and
 * AWS_ENDPOINT_URL (and `endpoint_url` of the shared config profile).
 */
export function createEcrClient(region: string, options: EcrClientOptions = {}): ECRClient {
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return new ECRClient({
    region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: options.retryMode ?? 'adaptive',
    requestHandler: {
      connectionTimeout: timeout,
      requestTimeout: timeout,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      // Covers a body that starts and then stalls, which requestTimeout alone does not.
      socketTimeout: timeout,
    },
    ...options.config,
  });
}

/** Builds clients lazily, one per region, and destroys them all at the end. */
export function clientPerRegion(build: (region: string) => EcrSend): { clientFor(region: string): EcrSend; destroy(): void } {
  const clients = new Map<string, EcrSend>();
  return {
    clientFor(region) {
      let client = clients.get(region);
      if (!client) {
        client = build(region);
        clients.set(region, client);
      }
      return client;
    },
    destroy() {
      for (const client of clients.values()) {
        if (client instanceof ECRClient) client.destroy();
      }
      clients.clear();
    },
  };
}
