import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanConfig } from '../src/domain/scan-config.js';
import { openStore } from '../src/store/open-store.js';
import type { ImageResult, Store } from '../src/store/store.js';
import { syntheticFindings } from '../bench/support/synthetic-findings.js';
import { buildDashboard, findChromium, launchChromium } from '../test/support/browser.js';
import { startServer } from '../test/support/cli-process.js';

/**
 * The README's screenshots, taken from the real dashboard over seeded data: a few
 * configurations scanned every third day for six weeks, their findings coming and going
 * as a real image's do, so that the trend has history to show. `npm run screenshots`
 * writes docs/screenshots/*.png.
 */

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const DAY = 86_400_000;
const EVERY_DAYS = 3;
const HISTORY_DAYS = 42;

interface Seed {
  config: Omit<ScanConfig, 'id' | 'created'>;
  tags: string[];
  /** Findings per image at the start, and how many are fixed and how many new at each scan. */
  findings: number;
  fixedPerScan: number;
  newPerScan: number;
  error?: string;
}

const SEEDS: Seed[] = [
  { config: ecr('payments/api', ['latest', '2.14.0']), tags: ['latest', '2.14.0'], findings: 90, fixedPerScan: 4, newPerScan: 1 },
  { config: ecr('payments/worker', ['latest']), tags: ['latest'], findings: 40, fixedPerScan: 1, newPerScan: 3 },
  { config: host('ghcr.io', 'acme/web-frontend', ['main', 'release-*']), tags: ['main', 'release-7'], findings: 25, fixedPerScan: 2, newPerScan: 2 },
  { config: ecr('platform/ingress', ['1.9', '1.10']), tags: ['1.9', '1.10'], findings: 15, fixedPerScan: 1, newPerScan: 0 },
  { config: host('registry.internal:5000', 'data/etl', null), tags: ['nightly'], findings: 30, fixedPerScan: 0, newPerScan: 1, error: 'registry.internal:5000 answered 503 to the tag list' },
];

function ecr(repository: string, tags: string[]): Omit<ScanConfig, 'id' | 'created'> {
  return { region: 'eu-west-1', registry: '123456789012', repository, tags, schedule: '3d', scanner: 'ecr', platform: null };
}

function host(registry: string, repository: string, tags: string[] | null): Omit<ScanConfig, 'id' | 'created'> {
  return { region: null, registry, repository, tags, schedule: '3d', scanner: 'builtin', platform: null };
}

/** Scans every configuration every third day, each image's window of finding keys moving on. */
async function seed(store: Store, now: number): Promise<void> {
  const start = now - HISTORY_DAYS * DAY;
  const ids: string[] = [];
  for (const entry of SEEDS) ids.push((await store.createConfig(entry.config, new Date(start))).id);
  for (let at = start, scan = 0; at <= now; at += EVERY_DAYS * DAY, scan++) {
    const claims = await store.claimDueScans('screenshots', new Date(at), 600_000, SEEDS.length);
    for (const claim of claims) {
      const index = ids.indexOf(claim.config.id);
      const entry = SEEDS[index]!;
      const last = at + EVERY_DAYS * DAY > now;
      const failing = entry.error !== undefined && last;
      const images: ImageResult[] | null = failing
        ? null
        : entry.tags.map((tag, t) => {
            const base = index * 100_000 + t * 10_000;
            const first = base + scan * entry.fixedPerScan;
            const count = entry.findings + scan * (entry.newPerScan - entry.fixedPerScan);
            const keys = Array.from({ length: Math.max(0, count) }, (_, k) => first + k);
            return { tag, digest: `sha256:${createHash('sha256').update(`${base}:${scan}`).digest('hex')}`, status: 'COMPLETE', error: null, scanner: entry.config.scanner ?? 'ecr', findings: syntheticFindings(keys) };
          });
      await store.commitScan({
        configId: claim.config.id,
        runId: claim.runId,
        owner: 'screenshots',
        finishedAt: new Date(at),
        images,
        status: failing ? 'FAILED' : 'COMPLETE',
        error: failing ? (entry.error ?? null) : null,
        nextScanAt: new Date(at + EVERY_DAYS * DAY),
      });
    }
  }
}

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) throw new Error('chromium not installed (apt-get install chromium)');
  buildDashboard();
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-screenshots-'));
  const file = join(dir, 'screenshots.db');
  const store = await openStore(file);
  try {
    await seed(store, Date.now() - DAY / 4);
  } finally {
    await store.close();
  }
  const server = await startServer(['--api-only'], { DATABASE_URL: file });
  const browser = await launchChromium(chromium);
  try {
    await mkdir(OUT, { recursive: true });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const shoot = async (hash: string, ready: string, name: string): Promise<void> => {
      await page.goto(`${server.url}/${hash}`);
      await page.waitForSelector(ready);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `${name}.png`) });
      process.stdout.write(`docs/screenshots/${name}.png\n`);
    };
    await shoot('#/', '.trend canvas', 'overview');
    await shoot('#/configs', 'table.data tbody tr', 'configurations');
    await page.getByRole('link', { name: 'payments/api' }).click();
    await page.getByText(/ of \d+ findings$/).waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, 'configuration.png') });
    process.stdout.write('docs/screenshots/configuration.png\n');
    await page.locator('table.fixed-rows button.link').first().click();
    await page.getByRole('dialog').waitFor();
    await page.screenshot({ path: join(OUT, 'finding.png') });
    process.stdout.write('docs/screenshots/finding.png\n');
    await shoot('#/activity', 'table.data tbody tr', 'activity');
  } finally {
    await browser.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
