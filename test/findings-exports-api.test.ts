import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databases } from './support/databases.js';
import { sarifErrors } from './support/export-validators.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

/** `GET /findings/{id}?format=sarif|csv`: a configuration's findings as SARIF 2.1.0 and CSV, on every dialect. */

for (const dialect of await databases()) {
  describe(`findings exports over HTTP (${dialect.name})`, () => {
    let service: TestService;
    let id: string;

    before(async () => {
      service = await createTestService(await dialect.openStore());
      service.scanner.setRepository('team/app', {
        tags: { '1.0': 'sha256:one', '2.0': 'sha256:two' },
        findings: {
          'sha256:one': [finding('CVE-2024-0001', 'CRITICAL', { cvss: { score: 9.1, vector: null } }), finding('CVE-2024-0002', 'LOW', { description: '=cmd|" /C calc"!A0' })],
          'sha256:two': [finding('CVE-2024-0001', 'HIGH')],
        },
      });
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs',
        headers: { 'content-type': 'application/json' },
        payload: { registry: 'registry.example.internal:5000', repository: 'team/app', tags: ['1.0', '2.0'] },
      });
      id = (created.json() as { id: string }).id;
      await service.scheduler.runDue();
    });
    after(() => service.close());

    it('SARIF: valid against the SARIF 2.1.0 schema, one rule per vulnerability, a result per image', async () => {
      const response = await service.app.inject({ method: 'GET', url: `/findings/${id}?format=sarif` });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/sarif+json; charset=utf-8');
      const log = response.json() as { runs: { tool: { driver: { rules: { id: string; properties: Record<string, string> }[] } }; results: { ruleId: string; properties: { image: string } }[] }[] };
      assert.deepEqual(sarifErrors(log), []);
      const [run] = log.runs;
      assert.deepEqual(run?.tool.driver.rules.map((rule) => [rule.id, rule.properties['security-severity']]).sort(), [
        ['CVE-2024-0001', '9.1'],
        ['CVE-2024-0002', '2.0'],
      ]);
      assert.deepEqual(run?.results.map((result) => `${result.ruleId} ${result.properties.image}`).sort(), [
        'CVE-2024-0001 registry.example.internal:5000/team/app:1.0',
        'CVE-2024-0001 registry.example.internal:5000/team/app:2.0',
        'CVE-2024-0002 registry.example.internal:5000/team/app:1.0',
      ]);
      const high = await service.app.inject({ method: 'GET', url: `/findings/${id}?format=sarif&severity=critical` });
      assert.equal((high.json() as { runs: { results: unknown[] }[] }).runs[0]?.results.length, 1, 'the severity filter applies');
    });

    it('CSV: a header and a row per finding per image, formulas defused', async () => {
      const response = await service.app.inject({ method: 'GET', url: `/findings/${id}?format=csv` });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'text/csv; charset=utf-8');
      const lines = response.body.trimEnd().split('\r\n');
      assert.equal(lines.length, 4);
      assert.match(lines[0] ?? '', /^image,digest,severity,name,package,/);
      assert.ok(response.body.includes(`"'=cmd|"" /C calc""!A0"`), response.body);
      assert.match(response.body, /,ACTIVE,\d{4}-\d\d-\d\dT/);
    });

    it('an unknown format is a 400 problem', async () => {
      const response = await service.app.inject({ method: 'GET', url: `/findings/${id}?format=xlsx` });
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    });
  });
}
