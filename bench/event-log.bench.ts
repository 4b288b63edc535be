import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { appendEvents } from '../src/store/events-repo.js';
import { openDatabase } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { median } from './support/measure.js';
import { syntheticFindings } from './support/synthetic-findings.js';
import type { BenchRow } from './support/table.js';

/**
 * What the event log costs a scan commit (target: writing the events of a scan of 10,000
 * new findings adds ≤ 25 % to its commit). Each run commits a first scan of 10,000 new
 * findings (events included) and then, in a transaction of its own on the same database,
 * writes that image's `finding.new` events again exactly as the commit did: the second
 * figure is the events' share, the first minus it the commit without them. Runs alternate
 * so that both see the same machine; medians are reported. Rescans (95 % of the findings
 * found again, 500 new, 500 fixed) are timed too, since they now read the previous findings.
 */

const FINDINGS = 10_000;
const RUNS = 7;
const DUE_AT = new Date(Date.UTC(2020, 0, 1));
const LATER = new Date(Date.UTC(2036, 0, 1));

function configInput(run: number): Omit<ScanConfig, 'id' | 'created'> {
  return { region: 'us-west-2', registry: '123456789012', repository: `bench/events-${run}`, tags: ['latest'], schedule: null, scanner: 'ecr', platform: null };
}

async function commitOnce(store: Store, configId: string, keys: number[], dueAgain: boolean): Promise<number> {
  const [claim] = await store.claimDueScans('bench', DUE_AT, 600_000, 1);
  if (!claim || claim.config.id !== configId) throw new Error('the event-log benchmark claimed something other than its configuration');
  const findings = syntheticFindings(keys);
  const started = performance.now();
  const written = await store.commitScan({
    configId,
    runId: claim.runId,
    owner: 'bench',
    finishedAt: new Date(),
    images: [{ tag: 'latest', digest: `sha256:${String(keys[0]).padStart(64, '0')}`, status: 'COMPLETE', error: null, scanner: 'ecr', findings }],
    status: 'COMPLETE',
    error: null,
    nextScanAt: dueAgain ? DUE_AT : LATER,
  });
  if (!written) throw new Error('the event-log benchmark lost its lease');
  return performance.now() - started;
}

function keysFrom(start: number): number[] {
  return Array.from({ length: FINDINGS }, (_, i) => start + i);
}

export async function benchEventLog(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-bench-events-'));
  const { store, db } = await openDatabase(join(dir, 'events.db'));
  try {
    const commits: number[] = [];
    const eventWrites: number[] = [];
    let lastConfig = '';
    for (let run = 0; run < RUNS; run++) {
      lastConfig = (await store.createConfig(configInput(run), DUE_AT)).id;
      commits.push(await commitOnce(store, lastConfig, keysFrom(run * FINDINGS), run === RUNS - 1));
      const image = await db.selectFrom('images').select('id').where('config_id', '=', lastConfig).executeTakeFirstOrThrow();
      const started = performance.now();
      await db.transaction().execute((trx) =>
        appendEvents(
          trx,
          [{ type: 'finding.new*', configId: lastConfig, runId: 'bench', imageId: Number(image.id), afterFindingId: 0, tag: 'latest', digest: null }],
          Date.now(),
        ),
      );
      eventWrites.push(performance.now() - started);
    }
    const rescans: number[] = [];
    for (let run = 1; run <= RUNS; run++) rescans.push(await commitOnce(store, lastConfig, keysFrom((RUNS - 1) * FINDINGS + run * 500), true));
    const commitMs = median(commits);
    const eventsMs = median(eventWrites);
    return [
      { name: 'first scan of 10,000 findings: commit with events', ms: Math.round(commitMs) },
      { name: 'its 10,000 finding.new events alone', ms: Math.round(eventsMs) },
      { name: 'events ÷ commit without them (target ≤ 0.25)', ms: Number((eventsMs / Math.max(1, commitMs - eventsMs)).toFixed(2)) },
      { name: 'rescan of 10,000 findings (500 new, 500 fixed)', ms: Math.round(median(rescans)) },
    ];
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
