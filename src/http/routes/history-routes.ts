import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { DAY_MS, type HistoryDay, openFindingsByDay } from '../../domain/finding-history.js';
import type { AppDeps } from '../app.js';
import { Counts } from '../schemas.js';

const HistoryQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: 'how many UTC days, ending today (default 30)' })) },
  { additionalProperties: false },
);
type HistoryQuery = Static<typeof HistoryQuery>;

const HistoryRepresentation = Type.Object(
  {
    generatedAt: Type.String({ format: 'date-time' }),
    days: Type.Array(
      Type.Object(
        {
          date: Type.String({ format: 'date', description: 'the UTC day; counts are as at its end, or now for today' }),
          counts: Counts,
        },
        { additionalProperties: false },
      ),
      { description: 'oldest first, one entry per day' },
    ),
  },
  { additionalProperties: false, title: 'FindingsHistory' },
);

const DEFAULT_DAYS = 30;
/**
 * Reading the history groups every finding: some 4 s over 1,000,000 findings on SQLite on a
 * loaded 2-core machine (bench/README.md, dashboard), during which a synchronous SQLite
 * driver answers nothing else. So a computed history serves for up to a minute even when
 * scans have written since; a new UTC day or another period is computed at once.
 */
const MAX_AGE_MS = 60_000;

interface Computed {
  revision: number;
  today: number;
  at: number;
  days: HistoryDay[];
}

/**
 * Open findings per severity per day, computed from the first-seen and closed times the
 * store keeps for every finding of the current configurations: history as the store knows
 * it, not samples taken by a client.
 */
export function registerHistoryRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'store' | 'clock'>): void {
  const cache = new Map<number, Computed>();
  app.get<{ Querystring: HistoryQuery }>('/history', {
    schema: {
      operationId: 'getFindingsHistory',
      tags: ['findings'],
      summary: 'Open findings per severity for each of the last days',
      description:
        'Across every configuration, from the time each finding was first seen and the time it was fixed (or closed because its image or advisory went): a finding fixed and later reopened counts as open in between. Computed at most once a minute (`generatedAt` says when), and at once for a new day.',
      querystring: HistoryQuery,
      response: { 200: HistoryRepresentation },
    },
    handler: async (request, reply) => {
      const now = deps.clock.now();
      const days = request.query.days ?? DEFAULT_DAYS;
      const today = Math.floor(now.getTime() / DAY_MS);
      const revision = await deps.store.revision();
      let computed = cache.get(days);
      const current = computed !== undefined && computed.today === today && (computed.revision === revision || now.getTime() - computed.at < MAX_AGE_MS);
      if (!computed || !current) {
        const spans = await deps.store.findingSpans(today - days + 1);
        computed = { revision, today, at: now.getTime(), days: openFindingsByDay(spans, days, now) };
        cache.set(days, computed);
      }
      reply.header('cache-control', 'no-cache');
      return { generatedAt: new Date(computed.at).toISOString(), days: computed.days };
    },
  });
}
