import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import type { ScanConfig } from '../../src/domain/scan-config.js';
import { openStore } from '../../src/store/open-store.js';
import type { ImageResult, Store } from '../../src/store/store.js';
import { createRandom, syntheticFindings } from './synthetic-findings.js';

/**
 * The benchmark's data set, written through the real Store exactly as the scheduler
 * writes scans: 1,000 configurations × 10 images × 100 findings. Seeding takes a while,
 * so the finished file is kept and reused while the schema and this seed are unchanged.
 */

export const SEED_SHAPE = { configs: 1_000, imagesPerConfig: 10, findingsPerImage: 100 } as const;

/** Bump when the seeded data changes, so that a cached database of the old shape is not reused. */
const SEED_VERSION = 1;
/** Tags of one repository share most findings: each image draws its 100 from this many of its repository's. */
const FINDINGS_PER_REPOSITORY = 130;
/** Seeded scans happened in the past and are next due in the far future, so nothing is due. */
const SEEDED_AT = new Date(Date.UTC(2026, 9, 1));
const NEXT_SCAN_AT = new Date(Date.UTC(2036, 0, 1));
const OWNER = 'bench-seeder';

export interface SeededDatabase {
  file: string;
  /** Seconds seeding took, in this run or when the cached file was made. */
  seedSeconds: number;
  /** Whether this run reused a cached database instead of seeding. */
  cached: boolean;
  bytes: number;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));

/**
 * Key of the cached file: the seed version and the text of every migration, so that a
 * changed schema (even a migration edited before release) never reuses an old database.
 */
async function seedKey(): Promise<string> {
  const hash = createHash('sha256').update(`${SEED_VERSION}|${JSON.stringify(SEED_SHAPE)}`);
  for (const file of (await readdir(MIGRATIONS_DIR)).sort()) hash.update(`|${file}|`).update(await readFile(`${MIGRATIONS_DIR}${file}`));
  return hash.digest('hex').slice(0, 12);
}

/** What is kept beside a cached database: how long it took to make. */
const SeedFacts = {
  parse(text: string): { seedSeconds: number } {
    const value: unknown = JSON.parse(text);
    const seconds = typeof value === 'object' && value !== null && 'seedSeconds' in value ? value.seedSeconds : undefined;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new Error('cached seed facts are malformed; delete .bench/ and run again');
    return { seedSeconds: seconds };
  },
};

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export async function removeDatabase(file: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${file}${suffix}`, { force: true });
}

/** The seeded database in `dir`, made now if no cached one of this schema and seed exists. */
export async function seededDatabase(dir: string, log: (line: string) => void): Promise<SeededDatabase> {
  await mkdir(dir, { recursive: true });
  const file = `${dir}/api-seed-${await seedKey()}.db`;
  const facts = `${file}.json`;
  if ((await exists(file)) && (await exists(facts))) {
    const { seedSeconds } = SeedFacts.parse(await readFile(facts, 'utf8'));
    return { file, seedSeconds, cached: true, bytes: (await stat(file)).size };
  }
  await removeStaleSeeds(dir, file);
  // Seeded under a temporary name and renamed when complete: an interrupted run leaves no
  // half-seeded file that a later run would take for the real thing.
  const partial = `${file}.partial`;
  await removeDatabase(partial);
  log(`seeding ${SEED_SHAPE.configs * SEED_SHAPE.imagesPerConfig * SEED_SHAPE.findingsPerImage} findings into ${file}`);
  const started = performance.now();
  const store = await openStore(partial);
  try {
    await seed(store, log);
  } finally {
    // Closing the last connection checkpoints the WAL into the file, so the file alone is complete.
    await store.close();
  }
  const seedSeconds = (performance.now() - started) / 1000;
  await rename(partial, file);
  await writeFile(facts, JSON.stringify({ seedSeconds }));
  return { file, seedSeconds, cached: false, bytes: (await stat(file)).size };
}

/** Databases seeded for an older schema or seed are never used again, and each takes some 600 MB. */
async function removeStaleSeeds(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const path = `${dir}/${name}`;
    if (name.startsWith('api-seed-') && !path.startsWith(keep)) await rm(path, { force: true });
  }
}

/** A copy of the seeded database to run against, so that writes of one run never reach the cache. */
export async function workingCopy(seeded: string, file: string): Promise<string> {
  await checkpoint(seeded);
  await removeDatabase(file);
  await copyFile(seeded, file);
  return file;
}

/** Anything opening the cached file leaves a WAL beside it; its pages must be in the file before the file alone is copied. */
async function checkpoint(file: string): Promise<void> {
  const wal = await stat(`${file}-wal`).catch(() => null);
  if (!wal || wal.size === 0) return;
  const database = new SqliteDatabase(file);
  try {
    database.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
}

function configInput(index: number): Omit<ScanConfig, 'id' | 'created'> {
  const tags = Array.from({ length: SEED_SHAPE.imagesPerConfig }, (_, t) => tagOf(t));
  // Most configurations are ECR repositories; one in five is another registry's.
  if (index % 5 === 4) {
    return { region: null, registry: 'ghcr.io', repository: `acme/team-${index % 40}/service-${index}`, tags, schedule: null, scanner: 'builtin', platform: null };
  }
  return { region: 'us-west-2', registry: '123456789012', repository: `team-${index % 40}/service-${index}`, tags, schedule: null, scanner: 'ecr', platform: null };
}

function tagOf(index: number): string {
  return index === 0 ? 'latest' : `1.${index}.0`;
}

function imageResults(configIndex: number, next: () => number): ImageResult[] {
  const base = configIndex * FINDINGS_PER_REPOSITORY;
  return Array.from({ length: SEED_SHAPE.imagesPerConfig }, (_, t) => {
    const keys = new Set<number>();
    while (keys.size < SEED_SHAPE.findingsPerImage) keys.add(base + Math.floor(next() * FINDINGS_PER_REPOSITORY));
    return {
      tag: tagOf(t),
      digest: `sha256:${createHash('sha256').update(`${configIndex}:${t}`).digest('hex')}`,
      status: 'COMPLETE',
      error: null,
      scanner: configIndex % 5 === 4 ? 'builtin' : 'ecr',
      findings: syntheticFindings(keys),
    };
  });
}

async function seed(store: Store, log: (line: string) => void): Promise<void> {
  const next = createRandom(20261201);
  const indexById = new Map<string, number>();
  for (let index = 0; index < SEED_SHAPE.configs; index++) {
    const created = await store.createConfig(configInput(index), new Date(SEEDED_AT.getTime() - (SEED_SHAPE.configs - index) * 60_000));
    indexById.set(created.id, index);
  }
  const claimed = await store.claimDueScans(OWNER, SEEDED_AT, 24 * 3600_000, SEED_SHAPE.configs);
  if (claimed.length !== SEED_SHAPE.configs) throw new Error(`seeding claimed ${claimed.length} configurations, not ${SEED_SHAPE.configs}`);
  claimed.sort((a, b) => (indexById.get(a.config.id) ?? 0) - (indexById.get(b.config.id) ?? 0));
  let done = 0;
  for (const claim of claimed) {
    const index = indexById.get(claim.config.id) ?? 0;
    const written = await store.commitScan({
      configId: claim.config.id,
      runId: claim.runId,
      owner: OWNER,
      // Scans finished over the weeks before the benchmark, so feeds span different times.
      finishedAt: new Date(SEEDED_AT.getTime() + index * 30 * 60_000),
      images: imageResults(index, next),
      status: 'COMPLETE',
      error: null,
      nextScanAt: NEXT_SCAN_AT,
    });
    if (!written) throw new Error(`seeding lost the lease of configuration ${claim.config.id}`);
    done++;
    if (done % 200 === 0) log(`seeded ${done} of ${SEED_SHAPE.configs} configurations`);
  }
}
