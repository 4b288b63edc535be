import { GetRegistryScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import type { EcrCall } from './ecr-call.js';
import { errorName } from './ecr-errors.js';

/** How the registry scans: BASIC (scans are started on demand) or ENHANCED (Inspector; read only). */
export type ScanMode = 'BASIC' | 'ENHANCED' | 'UNKNOWN';

/** Answers that only mean "cannot tell from here"; StartImageScan's own answer decides then. */
const UNDECIDABLE = new Set([
  'AccessDeniedException',
  'ValidationException',
  'InvalidParameterException',
  'UnknownOperationException',
]);

/**
 * Reads the registry's scanning configuration. ECR only describes the caller's own
 * registry, so for another account's registry the answer is UNKNOWN.
 */
export async function readScanMode(call: EcrCall, options: { abortSignal: AbortSignal }): Promise<ScanMode> {
  try {
    const response = await call.limited(() => call.client.send(new GetRegistryScanningConfigurationCommand({}), options), options.abortSignal);
    if (response.registryId !== undefined && response.registryId !== call.target.registryId) return 'UNKNOWN';
    const scanType = response.scanningConfiguration?.scanType;
    return scanType === 'ENHANCED' || scanType === 'BASIC' ? scanType : 'UNKNOWN';
  } catch (err) {
    if (!options.abortSignal.aborted && UNDECIDABLE.has(errorName(err))) return 'UNKNOWN';
    throw call.failure(err, 'GetRegistryScanningConfiguration');
  }
}

interface Entry {
  mode: Promise<ScanMode>;
  expiresAt: number;
}

/**
 * Scan modes per registry, read once per `ttlMs` however many images are scanned at
 * once. The shared lookup does not follow any one caller's AbortSignal, so that one
 * cancelled scan does not fail the others waiting on it; each caller still stops
 * waiting when its own signal aborts.
 */
export class ScanModeCache {
  private readonly entries = new Map<string, Entry>();
  private readonly lookups = new AbortController();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async modeOf(call: EcrCall): Promise<ScanMode> {
    const key = keyOf(call);
    let entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) {
      const mode = readScanMode(call, { abortSignal: this.lookups.signal });
      entry = { mode, expiresAt: this.now() + this.ttlMs };
      this.entries.set(key, entry);
      mode.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    return untilAborted(entry.mode, call.signal);
  }

  /** StartImageScan's answer showed the registry's mode: remember it. */
  remember(call: EcrCall, mode: ScanMode): void {
    this.entries.set(keyOf(call), { mode: Promise.resolve(mode), expiresAt: this.now() + this.ttlMs });
  }

  close(): void {
    this.lookups.abort();
    this.entries.clear();
  }
}

function keyOf(call: EcrCall): string {
  return `${call.target.region}/${call.target.registryId}`;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
