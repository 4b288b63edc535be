import { setTimeout as sleep } from 'node:timers/promises';
import type { Finding } from '../../src/domain/finding.js';
import { type ScanConfig, tagMatches } from '../../src/domain/scan-config.js';
import type { Severity } from '../../src/domain/severity.js';
import { type ImageRef, type ImageScanOutcome, type ListedImages, type Scanner, ScanError } from '../../src/scanners/scanner.js';

/**
 * A deterministic scanner for tests: repositories, tags and findings live in memory and
 * tests change them between scans. It counts its calls and how many run at once, so that
 * tests can check the scheduler's concurrency bound and exactly-once scanning.
 */
export interface MemoryRepository {
  tags: Record<string, string>;
  findings: Record<string, Finding[]>;
  failures?: Record<string, ScanError>;
}

export interface MemoryScanner extends Scanner {
  repositories: Map<string, MemoryRepository>;
  /** Milliseconds each call takes, to hold scans in flight. */
  delayMs: number;
  calls: { list: number; scan: number };
  scansPerConfig: Map<string, number>;
  inFlight: number;
  maxInFlight: number;
  setRepository(repository: string, state: MemoryRepository): void;
}

export function finding(name: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    name,
    severity,
    package: extra.package ?? 'openssl',
    version: extra.version ?? '3.0.11-1',
    fixedVersion: extra.fixedVersion ?? null,
    uri: extra.uri ?? `https://security-tracker.debian.org/tracker/${name}`,
    description: extra.description ?? `${name} in ${extra.package ?? 'openssl'}`,
    cvss: extra.cvss ?? null,
    aliases: extra.aliases ?? [],
    path: extra.path ?? null,
  };
}

export function createMemoryScanner(id = 'memory'): MemoryScanner {
  const scanner: MemoryScanner = {
    id,
    version: '1',
    repositories: new Map(),
    delayMs: 0,
    calls: { list: 0, scan: 0 },
    scansPerConfig: new Map(),
    inFlight: 0,
    maxInFlight: 0,
    setRepository(repository, state) {
      scanner.repositories.set(repository, state);
    },
    async listImages(config: ScanConfig, signal: AbortSignal): Promise<ListedImages> {
      scanner.calls.list += 1;
      await pause(scanner, signal);
      const repository = scanner.repositories.get(config.repository);
      if (!repository) throw new ScanError('NOT_FOUND', `repository ${config.repository} does not exist`);
      const tags = Object.keys(repository.tags).sort();
      const wanted = config.tags ? tags.filter((tag) => config.tags!.some((entry) => tagMatches(entry, tag))) : tags;
      const missingTags = (config.tags ?? []).filter((entry) => !entry.includes('*') && !(entry in repository.tags));
      return { images: wanted.map((tag) => ({ tag, digest: repository.tags[tag] ?? '' })), missingTags };
    },
    async scanImage(config: ScanConfig, image: ImageRef, signal: AbortSignal): Promise<ImageScanOutcome> {
      scanner.calls.scan += 1;
      scanner.scansPerConfig.set(config.id, (scanner.scansPerConfig.get(config.id) ?? 0) + 1);
      scanner.inFlight += 1;
      scanner.maxInFlight = Math.max(scanner.maxInFlight, scanner.inFlight);
      try {
        await pause(scanner, signal);
        const repository = scanner.repositories.get(config.repository);
        const failure = repository?.failures?.[image.digest];
        if (failure) throw failure;
        return { status: 'COMPLETE', findings: repository?.findings[image.digest] ?? [], error: null };
      } finally {
        scanner.inFlight -= 1;
      }
    },
  };
  return scanner;
}

async function pause(scanner: MemoryScanner, signal: AbortSignal): Promise<void> {
  if (scanner.delayMs > 0) await sleep(scanner.delayMs, undefined, { signal });
}
