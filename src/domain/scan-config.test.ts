import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigRuleError, ecrRegistryOf, nextRunAfter, normaliseConfigInput, parseDuration, tagMatches } from './scan-config.js';

describe('scan configuration rules', () => {
  it('defaults the scanner by registry kind', () => {
    assert.equal(normaliseConfigInput({ registry: '123456789012', region: 'us-west-2', repository: 'amazonlinux' }).scanner, 'ecr');
    assert.equal(normaliseConfigInput({ registry: 'ghcr.io', repository: 'acme/app' }).scanner, 'builtin');
    const ecrHost = normaliseConfigInput({ registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'app', scanner: 'ecr' });
    assert.equal(ecrHost.scanner, 'ecr');
    assert.deepEqual(ecrRegistryOf(ecrHost), { accountId: '123456789012', region: 'eu-west-1' });
  });

  it('names the field of a broken cross-field rule', () => {
    const cases: Array<[Parameters<typeof normaliseConfigInput>[0], string]> = [
      [{ registry: '123456789012', repository: 'app' }, 'region'],
      [{ registry: '1234', repository: 'app' }, 'registry'],
      [{ registry: 'ghcr.io', repository: 'app', scanner: 'ecr' }, 'scanner'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '4m' }, 'schedule'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '* * *' }, 'schedule'],
      [{ registry: 'ghcr.io', repository: 'app', tags: ['a', 'a'] }, 'tags'],
    ];
    for (const [input, field] of cases) {
      assert.throws(() => normaliseConfigInput(input), (err: unknown) => err instanceof ConfigRuleError && err.field === field, field);
    }
  });

  it('parses durations and cron schedules', () => {
    assert.equal(parseDuration('30m'), 30 * 60_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('daily'), null);
    assert.equal(parseDuration(''), null);
    const from = new Date('2026-11-27T10:17:00Z');
    assert.equal(nextRunAfter('6h', from).toISOString(), '2026-11-27T16:17:00.000Z');
    assert.equal(nextRunAfter('0 3 * * *', from).toISOString(), '2026-11-28T03:00:00.000Z');
    assert.equal(nextRunAfter('*/15 * * * *', from).toISOString(), '2026-11-27T10:30:00.000Z');
  });

  it('matches tag globs anywhere in the tag and nothing else', () => {
    assert.ok(tagMatches('1.*', '1.25.3'));
    assert.ok(tagMatches('*-alpine', '3.12-alpine'));
    assert.ok(tagMatches('latest', 'latest'));
    assert.ok(!tagMatches('1.*', '11.0'));
    assert.ok(!tagMatches('1.2', '1x2'), 'a dot is literal');
    assert.ok(!tagMatches('latest', 'latest2'));
  });
});
