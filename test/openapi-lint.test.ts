import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import spectralRulesets from '@stoplight/spectral-rulesets';
import { databases } from './support/databases.js';
import { createTestService, type TestService } from './support/test-service.js';

// CommonJS packages: their named exports arrive on the default export.
const { Document, Spectral } = spectralCore;
const { Json } = spectralParsers;
const { oas } = spectralRulesets;

const TOKEN = 'an-admin-token-for-lint';
const [sqlite] = await databases();

/**
 * The served document against the two linters people run on it, with their recommended
 * rulesets as published: neither may report an error or a warning.
 */
for (const authenticated of [true, false]) {
  describe(`the OpenAPI document ${authenticated ? 'with' : 'without'} tokens`, () => {
    let service: TestService;
    let source: string;
    before(async () => {
      service = await createTestService(await sqlite!.openStore(), authenticated ? { apiToken: TOKEN } : {});
      const response = await service.app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}`, host: 'scanner.internal:8080' } });
      assert.equal(response.statusCode, 200);
      source = response.body;
    });
    after(() => service.close());

    it("passes Redocly's recommended ruleset without errors or warnings", async () => {
      const config = await createConfig({ extends: ['recommended'] });
      const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
      const reported = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location.map((place) => place.pointer).join(', ')}`);
      assert.deepEqual(reported, []);
    });

    it("passes Spectral's OpenAPI ruleset without errors or warnings", async () => {
      const spectral = new Spectral();
      spectral.setRuleset({ extends: [[oas as spectralCore.RulesetDefinition, 'recommended']] });
      const results = await spectral.run(new Document(source, Json, 'openapi.json'));
      // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
      const reported = results.filter((result) => result.severity <= 1).map((result) => `${result.code}: ${result.message} at ${result.path.join('.')}`);
      assert.deepEqual(reported, []);
    });
  });
}
