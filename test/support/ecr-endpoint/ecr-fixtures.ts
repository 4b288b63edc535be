import { createHash } from 'node:crypto';
import type { BasicFindingWire, EnhancedFindingWire, ImageSpec } from './ecr-registry-state.js';
import { epochSeconds } from './ecr-wire.js';

/**
 * What the AWS SDK of a process (or of this one) needs to talk to an endpoint: its URL,
 * example credentials, and no instance metadata service to wait for.
 */
export function ecrClientEnv(endpoint: { url: string }): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECR: endpoint.url,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A well-formed image digest derived from any text, so tests can name images. */
export function digestOf(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

export interface BasicFindingInput {
  name: string;
  severity: string;
  packageName?: string;
  packageVersion?: string;
  cvss2?: { score: string; vector: string };
  cvss3?: { score: string; vector: string };
  description?: string;
  uri?: string;
}

/** A basic-scanning finding with the attributes ECR sets. */
export function basicFinding(input: BasicFindingInput): BasicFindingWire {
  const attributes: { key: string; value?: string }[] = [];
  if (input.packageVersion !== undefined) attributes.push({ key: 'package_version', value: input.packageVersion });
  if (input.packageName !== undefined) attributes.push({ key: 'package_name', value: input.packageName });
  if (input.cvss2) attributes.push({ key: 'CVSS2_VECTOR', value: input.cvss2.vector }, { key: 'CVSS2_SCORE', value: input.cvss2.score });
  if (input.cvss3) attributes.push({ key: 'CVSS3_VECTOR', value: input.cvss3.vector }, { key: 'CVSS3_SCORE', value: input.cvss3.score });
  return {
    name: input.name,
    severity: input.severity,
    ...(input.description !== undefined ? { description: input.description } : {}),
    uri: input.uri ?? `https://security-tracker.debian.org/tracker/${input.name}`,
    attributes,
  };
}

export interface EnhancedFindingInput {
  id: string;
  severity: string;
  packages: { name: string; version: string; release?: string; epoch?: number; fixedInVersion?: string }[];
  cvss?: { baseScore: number; scoringVector: string; version: string; source: string }[];
  related?: string[];
  referenceUrls?: string[];
  sourceUrl?: string;
  description?: string;
  firstObservedAt?: Date;
  lastObservedAt?: Date;
  accountId?: string;
}

/** An Amazon Inspector package-vulnerability finding as ECR returns it in `enhancedFindings`. */
export function enhancedFinding(input: EnhancedFindingInput): EnhancedFindingWire {
  const first = input.firstObservedAt ?? new Date('2026-01-01T00:00:00Z');
  const last = input.lastObservedAt ?? first;
  const account = input.accountId ?? '123456789012';
  return {
    awsAccountId: account,
    description: input.description ?? `${input.id} description`,
    findingArn: `arn:aws:inspector2:us-west-2:${account}:finding/${createHash('md5').update(input.id).digest('hex')}`,
    firstObservedAt: epochSeconds(first),
    lastObservedAt: epochSeconds(last),
    updatedAt: epochSeconds(last),
    packageVulnerabilityDetails: {
      cvss: input.cvss ?? [],
      referenceUrls: input.referenceUrls ?? [],
      relatedVulnerabilities: input.related ?? [],
      source: 'NVD',
      ...(input.sourceUrl ? { sourceUrl: input.sourceUrl } : {}),
      vendorSeverity: input.severity,
      vulnerabilityId: input.id,
      vulnerablePackages: input.packages.map((p) => ({
        name: p.name,
        version: p.version,
        ...(p.release ? { release: p.release } : {}),
        epoch: p.epoch ?? 0,
        arch: 'X86_64',
        packageManager: 'OS',
        fixedInVersion: p.fixedInVersion ?? 'NotAvailable',
      })),
    },
    remediation: { recommendation: { text: 'None Provided' } },
    score: input.cvss?.[0]?.baseScore ?? 0,
    severity: input.severity,
    status: 'ACTIVE',
    title: `${input.id} - ${input.packages.map((p) => p.name).join(', ')}`,
    type: 'PACKAGE_VULNERABILITY',
    fixAvailable: input.packages.some((p) => p.fixedInVersion && p.fixedInVersion !== 'NotAvailable') ? 'YES' : 'NO',
  };
}

const SEVERITY_CYCLE = ['CRITICAL', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'INFORMATIONAL'] as const;

/** `count` tagged images with `findingsPerImage` basic findings each, for volume tests and benchmarks. */
export function syntheticImages(prefix: string, count: number, findingsPerImage: number): ImageSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    digest: digestOf(`${prefix}:${i}`),
    tags: [`v${i}`],
    findings: Array.from({ length: findingsPerImage }, (_, j) =>
      basicFinding({
        name: `CVE-2026-${String(10000 + j)}`,
        severity: SEVERITY_CYCLE[j % SEVERITY_CYCLE.length] ?? 'LOW',
        packageName: `pkg${j % 40}`,
        packageVersion: `1.${j}.0`,
        cvss2: { score: '5.0', vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P' },
      }),
    ),
  }));
}
