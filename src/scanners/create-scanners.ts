import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { createEcrScanner } from './ecr/ecr-scanner.js';
import type { ScannerRegistry } from './registry.js';
import { ScanError, type Scanner } from './scanner.js';

export interface ScannerDeps {
  store: Store;
  config: Readonly<Config>;
  logger: Logger;
}

export interface ScannerSet {
  scanners: ScannerRegistry;
  /** Closes clients and caches the scanners hold. */
  close(): Promise<void>;
}

function unavailable(id: string): Scanner {
  const fail = async (): Promise<never> => {
    throw new ScanError('FAILED', `the ${id} scanner is not available in this build`);
  };
  return { id, version: '0', listImages: fail, scanImage: fail };
}

/** The scanners of a running service, by the id a configuration names. */
export function createScanners(deps: ScannerDeps): ScannerSet {
  const ecr = createEcrScanner({ logger: deps.logger.child({ scanner: 'ecr' }) });
  return {
    scanners: { ecr, builtin: unavailable('builtin') },
    async close() {
      ecr.close();
    },
  };
}
