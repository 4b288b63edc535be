import { createHash } from 'node:crypto';
import type { ImageState } from '../domain/image.js';
import { compactCounts, SEVERITIES, type Severity, zeroCounts } from '../domain/severity.js';
import type { Store, SummaryConfig, SummaryConfigRow } from '../store/store.js';
import { createAdvisoryWarnings } from './advisory-warnings.js';
import type { AppDeps } from './app.js';
import { imageTotals, summaryJson, summaryText } from './representations.js';

export interface SummaryCache {
  /** The summary as of the store's current revision, rendered at most once per revision. */
  current(): Promise<RenderedSummary>;
  /** Warnings every form of the summary carries (stale advisory data). */
  warnings(): Promise<string[]>;
}

/**
 * The summary spans every image and runs to megabytes (2.8 MB for 10,000 images): kept
 * as bytes, every answer shares one buffer instead of encoding a copy per client.
 */
export interface RenderedSummary {
  revision: number;
  /** A hash of the warnings it carries (stale advisory data), '' for none: part of its ETag. */
  warningsKey: string;
  json: Buffer;
  text: Buffer;
}

/**
 * The summary spans every image of every configuration, so it is rendered once per
 * store revision (which every write moves, in any process) and served from memory
 * until the next write; a request costs one read of the revision.
 */
export function createSummaryCache(deps: Pick<AppDeps, 'store' | 'clock' | 'metrics' | 'advisories'>): SummaryCache {
  let cached: RenderedSummary | null = null;
  let pending: Promise<RenderedSummary> | null = null;
  const warnings = createAdvisoryWarnings(deps);
  const fragments = createFragments();

  async function render(revision: number, notes: string[]): Promise<RenderedSummary> {
    const configs = await fragments.current(deps.store);
    const totals = zeroCounts();
    for (const config of configs) {
      for (const severity of SEVERITIES) totals[severity] += config.totals[severity];
    }
    for (const severity of SEVERITIES) deps.metrics.findings.set({ severity }, totals[severity]);
    // Byte for byte what JSON.stringify({ ...summaryJson(…), warnings }) gives, from kept pieces.
    const json =
      `{"generatedAt":${JSON.stringify(deps.clock.now().toISOString())},"totals":${JSON.stringify(compactCounts(totals))},` +
      `"configs":[${configs.map((config) => config.json).join(',')}]${notes.length > 0 ? `,"warnings":${JSON.stringify(notes)}` : ''}}`;
    const text = notes.map((note) => `WARNING: ${note}\n`).join('') + configs.map((config) => config.text).join('\n');
    return { revision, warningsKey: keyOf(notes), json: Buffer.from(json), text: Buffer.from(text) };
  }

  async function current(): Promise<RenderedSummary> {
    const [revision, notes] = await Promise.all([deps.store.revision(), warnings()]);
    if (cached?.revision === revision && cached.warningsKey === keyOf(notes)) return cached;
    // Concurrent requests after a write share one rendering instead of each doing it.
    pending ??= render(revision, notes).finally(() => {
      pending = null;
    });
    const rendered = await pending;
    if (!cached || rendered.revision >= cached.revision) cached = rendered;
    return rendered;
  }

  return { current, warnings };
}

/** One configuration's part of the summary, rendered in both forms, with its totals. */
interface Fragment {
  key: string;
  json: string;
  text: string;
  totals: Record<Severity, number>;
}

/**
 * The summary's parts, one per configuration, each kept while the configuration's
 * revision, status, last scan and error are unchanged (`fragmentKey`): every write of a
 * configuration's images moves its revision, so after a scan commit only that
 * configuration's images are read and rendered again, not the 10,000 images of a 1,000
 * configuration summary (bench/README.md, `busy-api`). A configuration gone is dropped.
 */
function createFragments() {
  const kept = new Map<string, Fragment>();
  return {
    async current(store: Store): Promise<Fragment[]> {
      const rows = await store.summaryConfigs();
      const stale = rows.filter((row) => kept.get(row.id)?.key !== fragmentKey(row));
      const images = stale.length > 0 ? await store.summaryImages(stale.map((row) => row.id)) : new Map<string, ImageState[]>();
      for (const row of stale) {
        const { revision: _revision, ...config } = row;
        kept.set(row.id, renderFragment(fragmentKey(row), { ...config, images: images.get(row.id) ?? [] }));
      }
      if (kept.size > rows.length) {
        const live = new Set(rows.map((row) => row.id));
        for (const id of kept.keys()) if (!live.has(id)) kept.delete(id);
      }
      return rows.map((row) => kept.get(row.id)).filter((fragment): fragment is Fragment => fragment !== undefined);
    },
  };
}

function fragmentKey(row: SummaryConfigRow): string {
  return JSON.stringify([row.revision, row.status, row.lastScan?.getTime() ?? null, row.lastError, row.region, row.registry, row.repository]);
}

function renderFragment(key: string, config: SummaryConfig): Fragment {
  const totals = imageTotals(config.images);
  // summaryJson's rendering of this one configuration; its generatedAt and totals are the whole summary's.
  const [json] = summaryJson([config], new Date(0)).configs;
  return { key, json: JSON.stringify(json), text: summaryText([config]), totals };
}

function keyOf(notes: readonly string[]): string {
  return notes.length === 0 ? '' : createHash('sha256').update(notes.join('\n')).digest('base64url').slice(0, 12);
}
