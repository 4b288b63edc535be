import { compactCounts, type Severity, type SeverityCounts } from '../domain/severity.js';
import type { SummaryConfig, SummaryPage } from '../store/store.js';
import { countLines, imageTotals, locationOf, summaryJson, summaryText } from './representations.js';

/**
 * The filtered and paged forms of `GET /summary`: the whole summary's representations
 * (`representations.ts`) of the page's configurations, with counts narrowed to the
 * severities asked for, `next` for the following page, and with `images=false` one total
 * per configuration in place of its images.
 */
export function filteredSummaryJson(page: SummaryPage, severities: readonly Severity[] | null, images: boolean, generatedAt: Date) {
  const configs = narrowed(page.configs, severities);
  const body = { ...summaryJson(configs, generatedAt), next: page.next };
  if (images) return body;
  return {
    ...body,
    configs: body.configs.map(({ images: _images, ...config }, i) => ({ ...config, counts: configTotals(configs[i]) })),
  };
}

/** The demo's layout; with `images=false`, one block per configuration with its totals. */
export function filteredSummaryText(page: SummaryPage, severities: readonly Severity[] | null, images: boolean): string {
  const configs = narrowed(page.configs, severities);
  const text = images ? summaryText(configs) : configs.map(configBlock).join('\n');
  return page.next === null ? text : `${text}${text === '' ? '' : '\n'}Next page: after=${page.next}\n`;
}

function configBlock(config: SummaryConfig): string {
  const counts = configTotals(config);
  const failed = config.images.filter((image) => image.status !== 'COMPLETE' && image.status !== 'PENDING').length;
  const note = config.images.length === 0 ? (config.lastScan ? ' no images found\n' : ' not scanned yet\n') : failed > 0 ? ` ${failed} of ${config.images.length} images not scanned completely\n` : '';
  return `Results for ${config.repository} in ${locationOf(config)}:\n${countLines(counts)}${note}`;
}

function configTotals(config: SummaryConfig | undefined): SeverityCounts {
  return compactCounts(imageTotals(config?.images ?? []));
}

/** Counts of the severities asked for only. */
function narrowed(configs: SummaryConfig[], severities: readonly Severity[] | null): SummaryConfig[] {
  if (severities === null) return configs;
  const keep = new Set(severities);
  return configs.map((config) => ({
    ...config,
    images: config.images.map((image) => ({
      ...image,
      counts: Object.fromEntries(Object.entries(image.counts).filter(([severity]) => keep.has(severity as Severity))) as SeverityCounts,
    })),
  }));
}
