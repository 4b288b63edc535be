import { type Kysely, sql } from 'kysely';
import { DAY_MS, type FindingSpan } from '../domain/finding-history.js';
import type { Database } from './tables.js';

/**
 * Every finding open at some time since `sinceDay` (a UTC day number), grouped by severity,
 * the day it was first seen and the day it closed. Times are integer milliseconds, so the
 * integer division is a day number on SQLite and PostgreSQL alike; the numbers are ours,
 * written as literals so that PostgreSQL types them as integers.
 */
export async function selectFindingSpans(db: Kysely<Database>, sinceDay: number): Promise<FindingSpan[]> {
  const since = sinceDay * DAY_MS;
  const opened = sql<number>`case when findings.first_seen < ${sql.lit(since)} then ${sql.lit(sinceDay - 1)} else findings.first_seen / ${sql.lit(DAY_MS)} end`;
  const closed = sql<number | null>`findings.fixed_at / ${sql.lit(DAY_MS)}`;
  const rows = await db
    .selectFrom('findings')
    .select(['findings.severity', opened.as('opened_day'), closed.as('closed_day'), (eb) => eb.fn.countAll<number>().as('count')])
    .where((eb) => eb.or([eb('findings.fixed_at', 'is', null), eb('findings.fixed_at', '>=', since)]))
    .groupBy(['findings.severity', sql`2`, sql`3`])
    .execute();
  return rows.map((row) => ({
    severity: row.severity,
    openedDay: Number(row.opened_day),
    closedDay: row.closed_day === null ? null : Number(row.closed_day),
    count: Number(row.count),
  }));
}
