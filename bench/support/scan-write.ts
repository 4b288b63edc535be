import { performance } from 'node:perf_hooks';
import type { ScanConfig } from '../../src/domain/scan-config.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { median } from './measure.js';
import { syntheticFindings } from './synthetic-findings.js';

/**
 * Writing one scan result of 10,000 findings into the seeded database, timed around
 * `commitScan` alone, as the scheduler calls it: in one transaction, with the upsert,
 * the marking of vanished findings as fixed and the refresh of the image's counts.
 */

export const WRITE_FINDINGS = 10_000;
/** Each rescan drops this many findings of the previous one and brings as many new. */
const RESCAN_CHURN = 500;
const OWNER = 'bench-writer';
/**
 * Configurations of this measurement are due at this time and claimed as of it: earlier
 * than anything else in the database, so that the claim takes exactly them and never the
 * configurations the POST load created (due at their creation) or the seeded ones.
 */
const DUE_AT = new Date(Date.UTC(2020, 0, 1));
const LATER = new Date(Date.UTC(2036, 0, 1));

export interface WriteFigures {
  /** Median milliseconds of a first scan of a new image: every finding is new. */
  firstWriteMs: number;
  /** Median milliseconds of a rescan: the image had 10,000 findings, 95 % of them found again. */
  rescanMs: number;
  runs: number;
}


function configInput(run: number): Omit<ScanConfig, 'id' | 'created'> {
  return { region: 'us-west-2', registry: '123456789012', repository: `bench/write-${run}`, tags: ['latest'], schedule: null, scanner: 'ecr', platform: null };
}

function keysFrom(start: number): number[] {
  return Array.from({ length: WRITE_FINDINGS }, (_, i) => start + i);
}

/** Claims the one configuration due at DUE_AT and writes `keys` as its image's findings; milliseconds of the commit. */
async function timedScan(store: Store, configId: string, keys: number[], dueAgain: boolean): Promise<number> {
  const [claim, ...others] = await store.claimDueScans(OWNER, DUE_AT, 600_000, 2);
  if (!claim || others.length > 0 || claim.config.id !== configId) throw new Error('the write benchmark claimed something other than its own configuration');
  const findings = syntheticFindings(keys);
  const started = performance.now();
  const written = await store.commitScan({
    configId,
    runId: claim.runId,
    owner: OWNER,
    finishedAt: new Date(),
    images: [{ tag: 'latest', digest: `sha256:${String(keys[0]).padStart(64, '0')}`, status: 'COMPLETE', error: null, scanner: 'ecr', findings }],
    status: 'COMPLETE',
    error: null,
    nextScanAt: dueAgain ? DUE_AT : LATER,
  });
  const elapsed = performance.now() - started;
  if (!written) throw new Error('the write benchmark lost its lease');
  return elapsed;
}

/** Measures first writes and rescans of 10,000 findings, `runs` of each, in the database `file`. */
export async function measureScanWrite(file: string, runs: number): Promise<WriteFigures> {
  const store = await openStore(file);
  try {
    const first: number[] = [];
    let configId = '';
    for (let run = 0; run < runs; run++) {
      configId = (await store.createConfig(configInput(run), DUE_AT)).id;
      first.push(await timedScan(store, configId, keysFrom(run * WRITE_FINDINGS), run === runs - 1));
    }
    // The last configuration is rescanned with a window of keys moved on by the churn each time.
    const rescans: number[] = [];
    const start = (runs - 1) * WRITE_FINDINGS;
    for (let run = 1; run <= runs; run++) {
      rescans.push(await timedScan(store, configId, keysFrom(start + run * RESCAN_CHURN), true));
    }
    return { firstWriteMs: median(first), rescanMs: median(rescans), runs };
  } finally {
    await store.close();
  }
}
