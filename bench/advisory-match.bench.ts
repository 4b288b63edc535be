import { performance } from 'node:perf_hooks';
import type { InstalledPackage, Inventory } from '../src/scanners/builtin/inventory.js';
import type { Advisory } from '../src/scanners/builtin/osv/advisory.js';
import { createAdvisoryLookup, saveAdvisories } from '../src/scanners/builtin/osv/advisory-store.js';
import { matchInventory } from '../src/scanners/builtin/osv/matcher.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import { median } from './support/measure.js';

/**
 * Matching an inventory of 2,000 packages against 50,000 advisories in the SQLite store
 * must take under 100 ms. The data is synthetic but shaped like Debian's: advisories
 * concentrate on some source packages (a few have hundreds, most a handful), every
 * advisory names its package in two releases, the inventory's 2,000 binary packages come
 * from about 700 source packages, and three in four advisories are fixed at or below the
 * installed version, the rest fixed above it or not at all.
 */

const ADVISORIES = 50_000;
const SOURCE_PACKAGES = 8_000;
const INVENTORY_PACKAGES = 2_000;
const INVENTORY_SOURCES = 700;
const RUNS = 9;
const TARGET_MS = 100;

/** mulberry32: a small deterministic generator, so that every run measures the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source package index, skewed towards low indices as advisories are towards popular packages. */
function skewedSource(next: () => number): number {
  return Math.floor(SOURCE_PACKAGES * next() ** 1.5);
}

function sourceName(index: number): string {
  return `src${index.toString(36)}`;
}

/** The version of a source package that images have installed. */
function installedVersion(index: number): string {
  return `1.${10 + (index % 10)}-2`;
}

function fixOf(index: number, next: () => number): string | null {
  const roll = next();
  const installedMinor = 10 + (index % 10);
  if (roll < 0.75) return `1.${Math.floor(next() * installedMinor)}-${1 + Math.floor(next() * 3)}`;
  if (roll < 0.9) return null;
  return `1.${installedMinor}-2+deb12u${1 + Math.floor(next() * 3)}`;
}

function syntheticAdvisory(index: number, next: () => number): Advisory {
  const sourceIndex = skewedSource(next);
  const source = sourceName(sourceIndex);
  const fix = fixOf(sourceIndex, next);
  const cve = `CVE-20${10 + (index % 15)}-${10_000 + index}`;
  const entry = (ecosystem: string, fixed: string | null) => ({
    ecosystem,
    package: source,
    ranges: [{ type: 'ECOSYSTEM', events: fixed === null ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }] }],
    versions: [],
    severity: [],
    cves: [],
  });
  return {
    id: index % 5 === 0 ? `DSA-${index}-1` : `DEBIAN-${cve}`,
    modified: 1_700_000_000_000 + index,
    published: null,
    withdrawn: null,
    aliases: [],
    upstream: [cve],
    summary: `${source} - security update`,
    details: null,
    severity: next() < 0.3 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : [],
    databaseSeverity: null,
    references: [],
    affected: [entry('Debian:11', fix === null ? null : `${fix}~deb11u1`), entry('Debian:12', fix)],
  };
}

function syntheticInventory(next: () => number): Inventory {
  const sources = new Set<number>();
  while (sources.size < INVENTORY_SOURCES) sources.add(skewedSource(next));
  const chosen = [...sources];
  const packages: InstalledPackage[] = [];
  for (let i = 0; i < INVENTORY_PACKAGES; i++) {
    const index = chosen[i % chosen.length] as number;
    const version = installedVersion(index);
    packages.push({
      ecosystem: 'Debian:12',
      name: `lib${sourceName(index)}-${Math.floor(i / chosen.length)}`,
      version,
      sourceName: sourceName(index),
      sourceVersion: version,
      path: '/var/lib/dpkg/status',
    });
  }
  return { os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, packages, analysers: {}, unsupported: [], unsettled: [], advisoryGaps: [] };
}


export async function benchAdvisoryMatch(): Promise<{ name: string; ms: number; target: string }[]> {
  const db = openSqlite(':memory:');
  try {
    await migrateToLatest(db);
    const next = random(20261128);
    const batch: Advisory[] = [];
    for (let i = 0; i < ADVISORIES; i++) {
      batch.push(syntheticAdvisory(i, next));
      if (batch.length === 500) await saveAdvisories(db, batch.splice(0), 'bench');
    }
    await saveAdvisories(db, batch, 'bench');
    const inventory = syntheticInventory(next);
    const lookup = createAdvisoryLookup(db);

    let findings = 0;
    await matchInventory(inventory, lookup); // warm-up: JIT and SQLite page cache
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      findings = (await matchInventory(inventory, lookup)).length;
      times.push(performance.now() - start);
    }
    return [
      {
        name: `match ${INVENTORY_PACKAGES} packages against ${ADVISORIES} advisories (SQLite, median of ${RUNS}, ${findings} findings)`,
        ms: Math.round(median(times) * 10) / 10,
        target: `< ${TARGET_MS} ms`,
      },
    ];
  } finally {
    await db.destroy();
  }
}
