/** What the endpoint process serves; handed to it as one JSON argument. */
export interface EndpointSpec {
  latencyMs: number;
  pollsUntilDone: number;
  pageSize: number;
  repositories: {
    /** Repositories are named `${prefix}-0` … `${prefix}-${count - 1}`. */
    prefix: string;
    count: number;
    imagesPerRepository: number;
    findingsPerImage: number;
    /** When set, every image had a basic scan completed this long ago (within the 24-hour quota). */
    scannedAgoMs: number | null;
  };
}

/** The operations the endpoint speaks, for per-operation call counts. */
export const ENDPOINT_OPERATIONS = ['ListImages', 'DescribeImages', 'StartImageScan', 'DescribeImageScanFindings', 'GetRegistryScanningConfiguration'] as const;

export type EndpointOperation = (typeof ENDPOINT_OPERATIONS)[number];

function whole(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`endpoint spec: ${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined;
}

export function parseEndpointSpec(text: string | undefined): EndpointSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new Error('endpoint spec: the first argument must be the spec as JSON');
  }
  const repositories = field(raw, 'repositories');
  const prefix = field(repositories, 'prefix');
  if (typeof prefix !== 'string' || !/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(prefix)) throw new Error(`endpoint spec: repositories.prefix must be a repository name, got ${JSON.stringify(prefix)}`);
  const scannedAgoMs = field(repositories, 'scannedAgoMs');
  return {
    latencyMs: whole(field(raw, 'latencyMs'), 'latencyMs', 0, 60_000),
    pollsUntilDone: whole(field(raw, 'pollsUntilDone'), 'pollsUntilDone', 0, 1000),
    pageSize: whole(field(raw, 'pageSize'), 'pageSize', 1, 1000),
    repositories: {
      prefix,
      count: whole(field(repositories, 'count'), 'repositories.count', 1, 100_000),
      imagesPerRepository: whole(field(repositories, 'imagesPerRepository'), 'repositories.imagesPerRepository', 1, 1000),
      findingsPerImage: whole(field(repositories, 'findingsPerImage'), 'repositories.findingsPerImage', 0, 10_000),
      scannedAgoMs: scannedAgoMs === null || scannedAgoMs === undefined ? null : whole(scannedAgoMs, 'repositories.scannedAgoMs', 0, 23 * 3600_000),
    },
  };
}
