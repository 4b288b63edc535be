import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ScanEvent } from '../domain/event.js';
import type { SubscriptionFilters } from '../domain/subscription.js';
import { eventMatches } from './filters.js';

const NONE: SubscriptionFilters = { configs: null, repositories: null, types: null, minSeverity: null, fixableOnly: false };

function event(overrides: Partial<ScanEvent> = {}, fixedVersion: string | null = '1.1'): ScanEvent {
  return {
    id: 'e1',
    seq: 1,
    type: 'finding.new',
    time: new Date(),
    configId: 'c1',
    runId: 'r1',
    registry: '123456789012',
    repository: 'team/api',
    region: 'us-west-2',
    tag: 'latest',
    digest: null,
    severity: 'HIGH',
    detail: { finding: { name: 'CVE-1', severity: 'HIGH', package: 'p', version: '1.0', fixedVersion, uri: null, cvss: null, aliases: [], path: null } },
    ...overrides,
  };
}

it('lets everything through without filters', () => {
  assert.ok(eventMatches(NONE, event()));
  assert.ok(eventMatches(NONE, event({ type: 'scan.failed', severity: null, detail: {} })));
});

it('matches configurations or repository globs, either one', () => {
  assert.ok(eventMatches({ ...NONE, configs: ['c1'] }, event()));
  assert.ok(!eventMatches({ ...NONE, configs: ['c2'] }, event()));
  assert.ok(eventMatches({ ...NONE, configs: ['c2'], repositories: ['team/*'] }, event()));
  assert.ok(!eventMatches({ ...NONE, repositories: ['other/*'] }, event()));
});

it('filters by type, minimum severity and fixability, letting events without those through', () => {
  assert.ok(!eventMatches({ ...NONE, types: ['finding.fixed'] }, event()));
  assert.ok(eventMatches({ ...NONE, minSeverity: 'HIGH' }, event()));
  assert.ok(!eventMatches({ ...NONE, minSeverity: 'CRITICAL' }, event()));
  assert.ok(eventMatches({ ...NONE, minSeverity: 'CRITICAL' }, event({ type: 'image.added', severity: null, detail: {} })));
  assert.ok(!eventMatches({ ...NONE, fixableOnly: true }, event({}, null)));
  assert.ok(eventMatches({ ...NONE, fixableOnly: true }, event({ type: 'scan.recovered', severity: null, detail: {} })));
});
