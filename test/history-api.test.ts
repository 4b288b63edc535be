import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databases } from './support/databases.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

/**
 * GET /history: open findings per severity per day, from what the store keeps (first seen,
 * fixed), over real scans on every dialect. The fake clock starts 2026-11-27T10:00Z; each
 * step is two days, so every scan lands on a known day.
 */

const DAY = 86_400_000;

interface HistoryJson {
  generatedAt: string;
  days: Array<{ date: string; counts: Record<string, number> }>;
}

for (const dialect of await databases()) {
  describe(`findings history on ${dialect.name}`, () => {
    let service: TestService;
    let configId = '';

    async function history(url: string): Promise<HistoryJson> {
      const response = await service.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    }

    before(async () => {
      service = await createTestService(await dialect.openStore());
      const rescan = async (findings: ReturnType<typeof finding>[]): Promise<void> => {
        service.scanner.setRepository('team/api', { tags: { '1.0': 'sha256:a1' }, findings: { 'sha256:a1': findings } });
        await service.scheduler.runDue();
      };
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs',
        headers: { 'content-type': 'application/json' },
        payload: { registry: 'registry.example:5000', repository: 'team/api', tags: ['1.0'] },
      });
      assert.equal(created.statusCode, 201, created.body);
      configId = created.json().id as string;
      // 27 Nov: A (high) and B (low) appear. 29 Nov: B is fixed, C (critical) appears. 1 Dec: A is fixed.
      await rescan([finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0002', 'LOW', { package: 'zlib' })]);
      service.clock.advance(2 * DAY);
      await rescan([finding('CVE-2026-0001', 'HIGH'), finding('CVE-2026-0003', 'CRITICAL', { package: 'curl' })]);
      service.clock.advance(2 * DAY);
      await rescan([finding('CVE-2026-0003', 'CRITICAL', { package: 'curl' })]);
    });
    after(() => service.close());

    it('counts what was open at the end of each day, ending today', async () => {
      const body = await history('/history?days=7');
      assert.deepEqual(body.days, [
        { date: '2026-11-25', counts: {} },
        { date: '2026-11-26', counts: {} },
        { date: '2026-11-27', counts: { HIGH: 1, LOW: 1 } },
        { date: '2026-11-28', counts: { HIGH: 1, LOW: 1 } },
        { date: '2026-11-29', counts: { CRITICAL: 1, HIGH: 1 } },
        { date: '2026-11-30', counts: { CRITICAL: 1, HIGH: 1 } },
        { date: '2026-12-01', counts: { CRITICAL: 1 } },
      ]);
      assert.equal(body.generatedAt, '2026-12-01T10:00:00.000Z');
    });

    it('ends on the summary\'s totals, and defaults to 30 days', async () => {
      const body = await history('/history');
      assert.equal(body.days.length, 30);
      const summary = await service.app.inject({ method: 'GET', url: '/summary?format=json' });
      assert.deepEqual(body.days.at(-1)?.counts, summary.json().totals);
    });

    it('refuses a period it does not offer, naming the parameter', async () => {
      for (const days of ['0', '367', 'ten']) {
        const response = await service.app.inject({ method: 'GET', url: `/history?days=${days}` });
        assert.equal(response.statusCode, 400, days);
        assert.equal(response.json().field, 'days');
      }
    });

    it('covers the current configurations: a deleted one leaves the history with its findings, within a minute', async () => {
      const deleted = await service.app.inject({ method: 'DELETE', url: `/configs/${configId}` });
      assert.equal(deleted.statusCode, 204);
      // Within a minute of the last computation the same history serves; then it is read again.
      const soon = await history('/history?days=7');
      assert.deepEqual(soon.days.at(-1)?.counts, { CRITICAL: 1 });
      service.clock.advance(61_000);
      const body = await history('/history?days=7');
      assert.equal(body.generatedAt, '2026-12-01T10:01:01.000Z');
      assert.ok(body.days.every((day) => Object.keys(day.counts).length === 0), JSON.stringify(body.days));
    });
  });
}
