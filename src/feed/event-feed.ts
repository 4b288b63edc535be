import type { ScanEvent } from '../domain/event.js';
import { type AtomFeedHead, feedHead, hasText, linkElement, pushFindingLines, pushLine, rfc3339, WEB_LINK } from './atom-elements.js';
import { escapeXmlAttribute, escapeXmlText } from './xml-escape.js';

/**
 * Atom (RFC 4287) feed of one configuration's event log: every change is an entry of its
 * own, with the event's UUIDv7 as its id and the time it happened as `updated`, so a feed
 * reader shows "new" and "fixed" as they come rather than a list of what is open.
 */

export interface EventFeedInput extends AtomFeedHead {
  entries: ScanEvent[];
}

export function renderEventFeed(input: EventFeedInput): string {
  const out: string[] = [feedHead(input)];
  for (const event of input.entries) out.push(eventEntry(event));
  out.push('</feed>\n');
  return out.join('');
}

function eventEntry(event: ScanEvent): string {
  const time = rfc3339(event.time, 'time');
  const uri = event.detail.finding?.uri;
  const advisory = hasText(uri) && WEB_LINK.test(uri) ? linkElement('    ', 'alternate', uri, null) : '';
  const severity = event.severity === null ? '' : `    <category term="${escapeXmlAttribute(event.severity)}"/>\n`;
  return `  <entry>
    <id>urn:uuid:${event.id}</id>
    <title>${escapeXmlText(eventTitle(event))}</title>
    <updated>${time}</updated>
    <published>${time}</published>
${advisory}\
    <category term="${escapeXmlAttribute(event.type)}"/>
${severity}\
    <content type="text">${escapeXmlText(eventLines(event).join('\n'))}</content>
  </entry>
`;
}

const FINDING_VERBS = {
  'finding.new': 'found',
  'finding.fixed': 'fixed',
  'finding.reopened': 'found again',
  'finding.changed': 'changed',
  'finding.suppressed': 'suppressed',
  'finding.unsuppressed': 'no longer suppressed',
} as const;

/** One line that says what happened, e.g. `[HIGH] in image team/api:1.0 found CVE-2026-1234`. */
export function eventTitle(event: ScanEvent): string {
  const image = event.tag === null ? event.repository : `${event.repository}:${event.tag}`;
  const finding = event.detail.finding;
  switch (event.type) {
    case 'finding.new':
    case 'finding.fixed':
    case 'finding.reopened':
    case 'finding.changed':
    case 'finding.suppressed':
    case 'finding.unsuppressed': {
      const was = event.type === 'finding.changed' && event.detail.previous ? ` (was ${event.detail.previous.severity})` : '';
      return `[${event.severity ?? 'UNDEFINED'}] in image ${image} ${FINDING_VERBS[event.type]} ${finding?.name ?? 'a finding'}${was}`;
    }
    case 'image.added':
      return `Image ${image} added`;
    case 'image.removed':
      return `Image ${image} removed`;
    case 'image.digest_changed':
      return `Image ${image} now points at ${shortDigest(event.digest)}`;
    case 'scan.failed':
      return `Scan of ${image} failed: ${event.detail.error ?? 'unknown error'}`;
    case 'scan.recovered':
      return `Scan of ${image} succeeds again`;
    case 'suppression.created':
    case 'suppression.updated':
    case 'suppression.expired':
    case 'suppression.deleted': {
      const suppression = event.detail.suppression;
      return `Suppression of ${suppression?.vulnerability ?? 'a vulnerability'} in ${event.repository} ${event.type.slice('suppression.'.length)}`;
    }
  }
}

/** Readable "Label: value" lines; absent values are left out rather than shown empty. */
export function eventLines(event: ScanEvent): string[] {
  const lines = [`Event: ${event.type}`, `Repository: ${event.repository}`];
  pushLine(lines, 'Registry', event.registry);
  pushLine(lines, 'Tag', event.tag);
  pushLine(lines, 'Digest', event.digest);
  const finding = event.detail.finding;
  if (finding) {
    lines.push(`Vulnerability: ${finding.name}`, `Severity: ${finding.severity}`);
    pushFindingLines(lines, finding);
  }
  const previous = event.detail.previous;
  if (previous) {
    lines.push(`Previous severity: ${previous.severity}`);
    pushLine(lines, 'Previous fixed version', previous.fixedVersion);
  }
  if (event.detail.reason === 'image_removed') lines.push('Closed because the image was removed');
  if (event.detail.reason === 'withdrawn') lines.push('Closed because its advisory was withdrawn');
  pushLine(lines, 'Previous digest', event.detail.previousDigest);
  if (event.detail.closedFindings !== undefined) lines.push(`Findings closed: ${event.detail.closedFindings}`);
  pushLine(lines, 'Error', event.detail.error);
  return lines;
}

function shortDigest(digest: string | null): string {
  return digest === null ? 'an unknown digest' : digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1');
}
