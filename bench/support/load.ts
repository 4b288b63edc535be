import autocannon from 'autocannon';

/** What one autocannon run sends: a fixed request, or one built afresh for every request. */
export interface LoadTarget {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  /** Called for every request; a path that must differ from request to request. */
  nextPath?: () => string;
  headers: Record<string, string>;
  /** Called for every request; a POST body that must differ from request to request. */
  body?: () => string;
}

export interface LoadFigures {
  /** Mean requests per second over the run. */
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
}

/** Runs autocannon against one target; a run that saw errors or non-2xx answers measured the wrong thing and fails. */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadFigures> {
  const { body: makeBody, nextPath } = target;
  const dynamic = makeBody !== undefined || nextPath !== undefined;
  const result = await autocannon({
    url: `${target.url}${target.path}`,
    connections: options.connections,
    duration: options.seconds,
    // A 2.8 MB summary to each of 50 clients at once can take seconds on a slow loopback;
    // autocannon's 10 s default would count the slowest as failures rather than as latency.
    timeout: 30,
    method: target.method,
    headers: target.headers,
    requests: dynamic
      ? [{ setupRequest: (request) => ({ ...request, ...(makeBody ? { body: makeBody() } : {}), ...(nextPath ? { path: nextPath() } : {}) }) }]
      : undefined,
  });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${target.method} ${target.path}: ${result.errors} errors, ${result.timeouts} timeouts and ${result.non2xx} non-2xx answers`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}
