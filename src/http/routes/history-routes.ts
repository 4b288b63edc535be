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
 * Open findings per severity per day, computed from the first-seen and closed times the
 * store keeps for every finding of the current configurations: history as the store knows
 * it, not samples taken by a client. Rendered once per store revision, days and UTC day.
 */
export function registerHistoryRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'store' | 'clock'>): void {
  let cached: { key: string; days: HistoryDay[] } | null = null;
  app.get<{ Querystring: HistoryQuery }>('/history', {
    schema: {
      operationId: 'getFindingsHistory',
      tags: ['findings'],
      summary: 'Open findings per severity for each of the last days',
      description:
        'Across every configuration, from the time each finding was first seen and the time it was fixed (or closed because its image or advisory went): a finding fixed and later reopened counts as open in between.',
      querystring: HistoryQuery,
      response: { 200: HistoryRepresentation },
    },
    handler: async (request, reply) => {
      const now = deps.clock.now();
      const days = request.query.days ?? DEFAULT_DAYS;
      const today = Math.floor(now.getTime() / DAY_MS);
      const key = `${await deps.store.revision()}|${days}|${today}`;
      if (cached?.key !== key) {
        const spans = await deps.store.findingSpans(today - days + 1);
        cached = { key, days: openFindingsByDay(spans, days, now) };
      }
      reply.header('cache-control', 'no-cache');
      return { generatedAt: now.toISOString(), days: cached.days };
    },
  });
}
