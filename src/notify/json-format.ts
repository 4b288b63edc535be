import type { ScanEvent } from '../domain/event.js';
import { type Digest, headline } from './digest.js';

/** An event as messages list it: everything needed to act, without another request. */
export function eventJson(event: ScanEvent) {
  return {
    id: event.id,
    type: event.type,
    time: event.time.toISOString(),
    configId: event.configId,
    repository: event.repository,
    tag: event.tag,
    digest: event.digest,
    severity: event.severity,
    ...(event.detail.finding ? { finding: event.detail.finding } : {}),
    ...(event.detail.previous ? { previous: event.detail.previous } : {}),
    ...(event.detail.error !== undefined ? { error: event.detail.error } : {}),
    ...(event.detail.previousDigest !== undefined ? { previousDigest: event.detail.previousDigest } : {}),
  };
}

/** The `json` format's document (documented in the README), also the `data` of a CloudEvent. */
export function digestJson(digest: Digest) {
  return {
    type: `ecrscan.${digest.kind}.digest`,
    id: digest.id,
    time: digest.time.toISOString(),
    subscriptionId: digest.subscriptionId,
    summary: headline(digest),
    config: digest.config,
    runId: digest.runId,
    period: digest.period ? { from: digest.period.from.toISOString(), to: digest.period.to.toISOString() } : null,
    counts: { events: digest.events, byType: digest.byType, bySeverity: digest.bySeverity },
    findings: digest.findings.map(eventJson),
    changes: digest.changes.map(eventJson),
    configs: digest.config ? [digest.config] : digest.configs,
    truncated: digest.findings.length + digest.changes.length < digest.events,
    eventsUrl: digest.eventsUrl,
  };
}

export function renderJson(digest: Digest): { contentType: string; body: string } {
  return { contentType: 'application/json', body: JSON.stringify(digestJson(digest)) };
}
