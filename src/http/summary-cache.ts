import { SEVERITIES } from '../domain/severity.js';
import type { AppDeps } from './app.js';
import { summaryJson, summaryText } from './representations.js';

export interface SummaryCache {
  /** The summary as of the store's current revision, rendered at most once per revision. */
  current(): Promise<RenderedSummary>;
}

/**
 * The summary spans every image and runs to megabytes (2.8 MB for 10,000 images): kept
 * as bytes, every answer shares one buffer instead of encoding a copy per client.
 */
export interface RenderedSummary {
  revision: number;
  json: Buffer;
  text: Buffer;
}

/**
 * The summary spans every image of every configuration, so it is rendered once per
 * store revision (which every write moves, in any process) and served from memory
 * until the next write; a request costs one read of the revision.
 */
export function createSummaryCache(deps: Pick<AppDeps, 'store' | 'clock' | 'metrics'>): SummaryCache {
  let cached: RenderedSummary | null = null;
  let pending: Promise<RenderedSummary> | null = null;

  async function render(revision: number): Promise<RenderedSummary> {
    const configs = await deps.store.summary();
    const body = summaryJson(configs, deps.clock.now());
    for (const severity of SEVERITIES) deps.metrics.findings.set({ severity }, body.totals[severity] ?? 0);
    return { revision, json: Buffer.from(JSON.stringify(body)), text: Buffer.from(summaryText(configs)) };
  }

  async function current(): Promise<RenderedSummary> {
    const revision = await deps.store.revision();
    if (cached?.revision === revision) return cached;
    // Concurrent requests after a write share one rendering instead of each doing it.
    pending ??= render(revision).finally(() => {
      pending = null;
    });
    const rendered = await pending;
    if (!cached || rendered.revision >= cached.revision) cached = rendered;
    return rendered;
  }

  return { current };
}
