import { performance } from 'node:perf_hooks';
import type { InstalledPackage, Inventory } from '../src/scanners/builtin/inventory.js';
import type { Advisory } from '../src/scanners/builtin/osv/advisory.js';
import { createAdvisoryLookup, saveAdvisories } from '../src/scanners/builtin/osv/advisory-store.js';
import { matchInventory } from '../src/scanners/builtin/osv/matcher.js';
import { migrateToLatest } from '../src/store/kysely-store.js';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';

/**
 * Matching an inventory of 2,000 packages against 50,000 advisories in the SQLite store
 * must take under 100 ms. The data is synthetic but shaped like Debian's: source packages
 * with several advisories each, every advisory naming the package in two releases, with
 * fixed versions on both sides of what is installed, versions lists and CVSS vectors.
 */

const ADVISORIES = 50_000;
const SOURCE_PACKAGES = 10_000;
const INVENTORY_PACKAGES = 2_000;
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

function sourceName(index: number): string {
  return `src${index.toString(36)}`;
}

function syntheticAdvisory(index: number, next: () => number): Advisory {
  const source = sourceName(Math.floor(next() * SOURCE_PACKAGES));
  const minor = Math.floor(next() * 20);
  const fixed = `1.${minor}-${1 + Math.floor(next() * 3)}+deb12u${1 + Math.floor(next() * 4)}`;
  const cve = `CVE-20${10 + (index % 15)}-${10_000 + index}`;
  const entry = (ecosystem: string, fix: string) => ({
    ecosystem,
    package: source,
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fix }] }],
    versions: [`1.${minor}-1`, `1.${minor}-1+deb12u1`],
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
    affected: [entry('Debian:11', `1.${minor}-1+deb11u1`), entry('Debian:12', fixed)],
  };
}

function syntheticInventory(next: () => number): Inventory {
  const packages: InstalledPackage[] = [];
  for (let i = 0; i < INVENTORY_PACKAGES; i++) {
    const source = sourceName(Math.floor(next() * SOURCE_PACKAGES));
    const version = `1.${Math.floor(next() * 20)}-${1 + Math.floor(next() * 3)}`;
    packages.push({ ecosystem: 'Debian:12', name: `lib${source}-${i}`, version, sourceName: source, sourceVersion: version, path: '/var/lib/dpkg/status' });
  }
  return { os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, packages, analysers: {}, unsupported: [] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
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
    await matchInventory(inventory, lookup); // warm-up: statement cache and JIT
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
