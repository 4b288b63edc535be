import { sql, type Transaction } from 'kysely';
import { isSeverity, type Severity, zeroCounts } from '../domain/severity.js';
import type { Database } from './tables.js';

const ID_CHUNK = 1000;

const COUNT_COLUMNS: Record<Severity, 'critical' | 'high' | 'medium' | 'low' | 'informational' | 'undefined'> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFORMATIONAL: 'informational',
  UNDEFINED: 'undefined',
};

/**
 * A finding's severity as users see it: its advisory's, or NVD's base-score severity when
 * the advisory has none (UNDEFINED). Needs `nvd_cvss` joined on the finding's CVE.
 */
export const effectiveSeverity = sql<string>`case when findings.severity = 'UNDEFINED' and nvd_cvss.severity is not null then nvd_cvss.severity else findings.severity end`;

/**
 * Counts are kept on the image row at write time so that the summary never counts
 * findings: open findings by effective severity, those KEV lists, and those with a fix;
 * suppressed findings are left out.
 * Called by a scan commit for the image it wrote, and by a prioritisation import for the
 * images whose findings' CVEs it changed, in their transactions.
 */
export async function refreshImageCounts(trx: Transaction<Database>, imageIds: readonly number[]): Promise<void> {
  for (let start = 0; start < imageIds.length; start += ID_CHUNK) {
    const ids = imageIds.slice(start, start + ID_CHUNK);
    const rows = await trx
      .selectFrom('findings')
      .leftJoin('nvd_cvss', 'nvd_cvss.cve', 'findings.cve')
      .leftJoin('kev_entries', 'kev_entries.cve', 'findings.cve')
      .select((eb) => [
        'findings.image_id',
        effectiveSeverity.as('severity'),
        eb.fn.countAll<number>().as('n'),
        eb.fn.count<number>('kev_entries.cve').as('kev'),
        eb.fn.count<number>('findings.fixed_version').as('fixable'),
      ])
      .where('findings.image_id', 'in', ids)
      .where('findings.fixed_at', 'is', null)
      .where('findings.suppressed_by', 'is', null)
      .groupBy(['findings.image_id', effectiveSeverity])
      .execute();
    const byImage = new Map<number, { counts: Record<Severity, number>; kev: number; fixable: number }>(
      ids.map((id) => [id, { counts: zeroCounts(), kev: 0, fixable: 0 }]),
    );
    for (const row of rows) {
      const image = byImage.get(Number(row.image_id));
      if (!image) continue;
      const severity = isSeverity(row.severity) ? row.severity : 'UNDEFINED';
      image.counts[severity] += Number(row.n);
      image.kev += Number(row.kev);
      image.fixable += Number(row.fixable);
    }
    for (const [id, image] of byImage) {
      const set = Object.fromEntries(Object.entries(COUNT_COLUMNS).map(([severity, column]) => [column, image.counts[severity as Severity]]));
      await trx
        .updateTable('images')
        .set({ ...set, kev: image.kev, fixable: image.fixable })
        .where('id', '=', id)
        .execute();
    }
  }
}
