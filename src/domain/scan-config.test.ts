import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigRuleError, ecrRegistryOf, imageKeyOf, nextRunAfter, normaliseConfigInput, parseDuration, repositoryMatches, splitImageKey, tagMatches } from './scan-config.js';

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
      [{ registry: 'ghcr.io:99999', repository: 'app' }, 'registry'],
      [{ registry: 'ghcr.io:0', repository: 'app' }, 'registry'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '100000000d' }, 'schedule'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '367d' }, 'schedule'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '0 0 29 2 *' }, 'schedule'],
      [{ registry: 'ghcr.io', repository: 'app', schedule: '0 0 30 2 *' }, 'schedule'],
    ];
    for (const [input, field] of cases) {
      assert.throws(() => normaliseConfigInput(input), (err: unknown) => err instanceof ConfigRuleError && err.field === field, field);
    }
  });

  it('accepts the edges of the ranges', () => {
    assert.equal(normaliseConfigInput({ registry: 'registry.local:65535', repository: 'app', schedule: '366d' }).schedule, '366d');
    assert.equal(normaliseConfigInput({ registry: 'registry.local:1', repository: 'app', schedule: '0 0 1 1 *' }).registry, 'registry.local:1');
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

  it('matches globs as a reference matcher does, over every short pattern and tag', () => {
    // The reference: the textbook recursive definition of `*`, fine on tiny inputs.
    function reference(pattern: string, tag: string): boolean {
      if (pattern === '') return tag === '';
      if (pattern[0] === '*') return reference(pattern.slice(1), tag) || (tag !== '' && reference(pattern, tag.slice(1)));
      return tag !== '' && pattern[0] === tag[0] && reference(pattern.slice(1), tag.slice(1));
    }
    const words = (alphabet: string, max: number): string[] => {
      const out = [''];
      for (let length = 1; length <= max; length++) {
        for (const prefix of out.filter((word) => word.length === length - 1)) for (const c of alphabet) out.push(prefix + c);
      }
      return out;
    };
    const tags = words('ab', 5);
    const patterns = words('ab*', 4).filter((pattern) => pattern !== '');
    for (const pattern of patterns) {
      for (const tag of tags) assert.equal(tagMatches(pattern, tag), reference(pattern, tag), `${pattern} against "${tag}"`);
    }
  });

  it('matches a many-star glob against long tags without backtracking', () => {
    // A regular expression made from this glob backtracks over C(128, 10) ways to place
    // the stars on each of these tags; the matcher must simply say no, tag after tag.
    const glob = '*a*a*a*a*a*a*a*a*a*a*b';
    const tags = Array.from({ length: 20_000 }, (_, i) => 'a'.repeat(120) + String(i).padStart(5, '0').replace(/[0-9]/g, 'a') + 'ac');
    assert.equal(tags.filter((tag) => tagMatches(glob, tag)).length, 0);
    assert.ok(tagMatches(glob, 'a'.repeat(127) + 'b'));
    assert.ok(!tagMatches('*a*a*a*b', 'aab'), 'three pieces need three places');
  });
});

describe('repositoryMatches', () => {
  it('* stays within a component, ** spans any number of them', () => {
    assert.equal(repositoryMatches('team/*', 'team/api'), true);
    assert.equal(repositoryMatches('team/*', 'team/api/v2'), false);
    assert.equal(repositoryMatches('team/*', 'team'), false);
    assert.equal(repositoryMatches('*/api', 'team/api'), true);
    assert.equal(repositoryMatches('*/api', 'api'), false);
    assert.equal(repositoryMatches('**', 'a'), true);
    assert.equal(repositoryMatches('**', 'a/b/c'), true);
    assert.equal(repositoryMatches('team/**', 'team/a/b'), true);
    assert.equal(repositoryMatches('team/**', 'team'), true);
    assert.equal(repositoryMatches('**/api', 'x/y/api'), true);
    assert.equal(repositoryMatches('**/api', 'x/y/web'), false);
    assert.equal(repositoryMatches('team-*/svc-*', 'team-a/svc-b'), true);
    assert.equal(repositoryMatches('team/api', 'team/api'), true);
  });

  it('many ** against a deep name stay quick (memoised)', () => {
    const glob = Array.from({ length: 60 }, () => '**').join('/') + '/nomatch';
    const name = Array.from({ length: 120 }, (_, i) => `c${i}`).join('/');
    const started = process.hrtime.bigint();
    assert.equal(repositoryMatches(glob, name), false);
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
  });

  it('image keys: the tag alone for one repository, repository:tag for a glob, split back', () => {
    assert.equal(imageKeyOf({ repository: 'team/api' }, 'team/api', '1.0'), '1.0');
    assert.equal(imageKeyOf({ repository: 'team/*' }, 'team/api', '1.0'), 'team/api:1.0');
    assert.deepEqual(splitImageKey({ repository: 'team/*' }, 'team/api:1.0'), { repository: 'team/api', tag: '1.0' });
    assert.deepEqual(splitImageKey({ repository: 'team/api' }, '1.0'), { repository: 'team/api', tag: '1.0' });
  });
});
