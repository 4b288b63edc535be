import { createHash } from 'node:crypto';
import { SEVERITIES } from '../domain/severity.js';
import type { AppDeps } from './app.js';
import { summaryJson, summaryText } from './representations.js';

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
  const warnings = advisoryWarnings(deps);

  async function render(revision: number, notes: string[]): Promise<RenderedSummary> {
    const configs = await deps.store.summary();
    const body = { ...summaryJson(configs, deps.clock.now()), ...(notes.length > 0 ? { warnings: notes } : {}) };
    for (const severity of SEVERITIES) deps.metrics.findings.set({ severity }, body.totals[severity] ?? 0);
    const text = notes.map((note) => `WARNING: ${note}\n`).join('') + summaryText(configs);
    return { revision, warningsKey: keyOf(notes), json: Buffer.from(JSON.stringify(body)), text: Buffer.from(text) };
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

function keyOf(notes: readonly string[]): string {
  return notes.length === 0 ? '' : createHash('sha256').update(notes.join('\n')).digest('base64url').slice(0, 12);
}

// Data ages by the hour: reading it once a minute keeps the summary's one-read cost.
const WARNINGS_TTL_MS = 60_000;

/** Warnings about stale advisory data, read at most once a minute; none without advisories. */
function advisoryWarnings(deps: Pick<AppDeps, 'clock' | 'advisories'>): () => Promise<string[]> {
  let read: { at: number; notes: Promise<string[]> } | null = null;
  return () => {
    const advisories = deps.advisories;
    if (!advisories) return Promise.resolve([]);
    const now = deps.clock.now().getTime();
    if (!read || now - read.at >= WARNINGS_TTL_MS) {
      const notes = advisories.freshness().then((sources) =>
        sources
          .filter((source) => source.stale)
          .map((source) =>
            source.ageSeconds === null
              ? `advisory source ${source.source} has never been imported: built-in scan results may miss vulnerabilities`
              : `advisory data of ${source.source} is ${Math.floor(source.ageSeconds / 3600)} h old (ECRSCAN_ADVISORY_MAX_AGE): built-in scan results may miss recent vulnerabilities`,
          ),
      );
      // A failed read is retried by the next request rather than cached.
      notes.catch(() => {
        read = null;
      });
      read = { at: now, notes };
    }
    return read.notes;
  };
}
