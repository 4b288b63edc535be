import type { ConfigState } from '../../domain/scan-config.js';
import type { StoredFinding } from '../../domain/finding.js';
import { findingsCsv } from '../../exports/csv-findings.js';
import { sarifLog } from '../../exports/sarif-log.js';
import { imageFindingsOf } from '../../exports/stored-findings.js';
import { repositoryOf } from '../../scanners/builtin/image-list.js';
import type { FindingsQuery, Store } from '../../store/store.js';
import { VERSION } from '../../version.js';

export const SARIF_TYPE = 'application/sarif+json';
export const CSV_TYPE = 'text/csv';

/** What one export reads at most: 100 pages of 1000 findings, the CLI's bound too. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

/**
 * A configuration's findings (as filtered by severity and status) in one document, not
 * paged: SARIF for code scanning, CSV for spreadsheets.
 */
export async function findingsExport(
  store: Pick<Store, 'listFindings'>,
  config: ConfigState,
  query: Omit<FindingsQuery, 'limit' | 'after'>,
  format: 'sarif' | 'csv',
): Promise<{ type: string; body: string }> {
  const findings: StoredFinding[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await store.listFindings(config.id, { ...query, limit: PAGE_SIZE, after });
    findings.push(...result.findings);
    after = result.next;
    if (after === null) break;
  }
  const ref = repositoryOf(config);
  const images = imageFindingsOf(`${ref.registry}/${ref.repository}`, findings);
  if (format === 'csv') return { type: `${CSV_TYPE}; charset=utf-8`, body: findingsCsv(images) };
  return { type: `${SARIF_TYPE}; charset=utf-8`, body: JSON.stringify(sarifLog(images, { name: 'ecr-continuous-scan', version: VERSION })) };
}
