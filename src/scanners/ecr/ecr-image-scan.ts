import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import type { Finding } from '../../domain/finding.js';
import { ScanError } from '../scanner.js';
import type { EcrCall } from './ecr-call.js';
import { errorName, oneLine } from './ecr-errors.js';
import { normaliseBasicFinding, normaliseEnhancedFinding } from './ecr-findings.js';
import { interpretScanStatus } from './ecr-scan-status.js';

/** Why findings are read: after starting a scan, or instead of one. */
export type ReadReason = 'started' | 'quota' | 'enhanced';

export interface PollPolicy {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** How long a scan may stay IN_PROGRESS / PENDING before the image is given up for this run. */
  maxPollMs: number;
}

/** StartImageScan's LimitExceededException, renamed so that the SDK does not retry it. */
class ScanQuotaReached extends Error {
  override readonly name = 'ScanQuotaReached';
}

/**
 * Starts a basic scan of one digest. Past the one-scan-per-24-hours quota, or on a
 * registry where on-demand scans are disabled (enhanced scanning), it says so instead,
 * and the caller reads the latest findings.
 */
export async function startScan(call: EcrCall, digest: string): Promise<ReadReason> {
  const command = new StartImageScanCommand({ ...call.target.input, imageId: { imageDigest: digest } });
  // The SDK counts LimitExceededException as throttling and would retry it (and, in
  // adaptive mode, slow the whole client down) although it is a 24-hour quota.
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if (errorName(err) === 'LimitExceededException') throw new ScanQuotaReached((err as Error).message);
        throw err;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'ecrScanQuotaNotRetried' },
  );
  try {
    await call.limited(() => call.client.send(command, { abortSignal: call.signal }));
    return 'started';
  } catch (err) {
    if (call.signal.aborted) throw call.signal.reason;
    switch (errorName(err)) {
      case 'ScanQuotaReached':
        return 'quota';
      case 'ValidationException':
        return 'enhanced';
      case 'UnsupportedImageTypeException':
        throw new ScanError('UNSUPPORTED_IMAGE', `ECR cannot scan this image: ${oneLine((err as Error).message)}`);
      case 'ImageArchivedException':
        throw new ScanError('FINDINGS_UNAVAILABLE', 'the image is archived and cannot be scanned');
      default:
        throw call.failure(err, 'StartImageScan', digest);
    }
  }
}

/** Polls until the scan is final, with growing pauses, then reads every page of findings. */
export async function awaitFindings(call: EcrCall, digest: string, reason: ReadReason, policy: PollPolicy): Promise<Finding[]> {
  const deadline = Date.now() + policy.maxPollMs;
  let pause = reason === 'started' ? policy.pollIntervalMs : 0;
  for (;;) {
    if (pause > 0) await sleep(pause, undefined, { signal: call.signal }).catch(() => call.signal.throwIfAborted());
    const response = await describeFindings(call, digest, reason, undefined);
    const status = response?.imageScanStatus;
    const state = response ? interpretScanStatus(status?.status, status?.description) : { kind: 'running' as const };
    if (state.kind === 'failed') throw state.error;
    if (state.kind === 'done' && response) return readAllPages(call, digest, reason, response);
    pause = pause === 0 ? policy.pollIntervalMs : Math.min(pause * 2, policy.maxPollIntervalMs);
    if (Date.now() + pause > deadline) throw stillRunning(status?.status, policy.maxPollMs);
  }
}

function stillRunning(status: string | undefined, maxPollMs: number): ScanError {
  const limit = maxPollMs < 10_000 ? `${maxPollMs} ms` : `${Math.round(maxPollMs / 1000)} s`;
  if (status === 'PENDING') {
    return new ScanError('PENDING', `enhanced scanning has not scanned this image yet (still PENDING after ${limit})`, true);
  }
  return new ScanError('FAILED', `the ECR scan did not finish within ${limit} (still ${status ?? 'starting'})`, true);
}

/** One page of findings; undefined while a scan just started is not visible yet. */
async function describeFindings(
  call: EcrCall,
  digest: string,
  reason: ReadReason,
  nextToken: string | undefined,
): Promise<DescribeImageScanFindingsResponse | undefined> {
  const input = { ...call.target.input, imageId: { imageDigest: digest }, maxResults: 1000, nextToken };
  try {
    return await call.limited(() => call.client.send(new DescribeImageScanFindingsCommand(input), { abortSignal: call.signal }));
  } catch (err) {
    if (errorName(err) !== 'ScanNotFoundException' || call.signal.aborted) {
      throw call.failure(err, 'DescribeImageScanFindings', digest);
    }
    if (reason === 'started') return undefined;
    throw new ScanError('FINDINGS_UNAVAILABLE', NO_SCAN[reason]);
  }
}

const NO_SCAN: Record<Exclude<ReadReason, 'started'>, string> = {
  quota: 'the basic scan quota (one scan per image per 24 hours) is used up and no completed scan is available yet',
  enhanced: 'the registry uses enhanced scanning and has no findings for this image (is the repository covered by its scanning rules?)',
};

/** 10,000 pages of 1,000 findings is beyond any real image; more means a broken peer. */
const MAX_PAGES = 10_000;

async function readAllPages(
  call: EcrCall,
  digest: string,
  reason: ReadReason,
  first: DescribeImageScanFindingsResponse,
): Promise<Finding[]> {
  const findings = new Map<string, Finding>();
  const seenTokens = new Set<string>();
  let response: DescribeImageScanFindingsResponse | undefined = first;
  for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
    if (!response) throw new ScanError('FAILED', 'the ECR scan results disappeared while their pages were read', true);
    for (const finding of findingsOf(response)) findings.set(findingKey(finding), finding);
    const token = response.nextToken;
    if (!token) return [...findings.values()];
    if (seenTokens.has(token)) break;
    seenTokens.add(token);
    response = await describeFindings(call, digest, reason, token);
  }
  throw new ScanError('FAILED', 'ECR DescribeImageScanFindings kept answering with more pages (a repeated or endless nextToken)', true);
}

function findingsOf(response: DescribeImageScanFindingsResponse): Finding[] {
  const scan = response.imageScanFindings;
  const basic = (scan?.findings ?? []).map(normaliseBasicFinding).filter((f): f is Finding => f !== null);
  const enhanced = (scan?.enhancedFindings ?? []).flatMap(normaliseEnhancedFinding);
  return [...basic, ...enhanced];
}

/** The same vulnerability in the same package version counts once. */
function findingKey(finding: Finding): string {
  return JSON.stringify([finding.name, finding.package, finding.version]);
}
