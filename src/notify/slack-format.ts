import type { ScanEvent } from '../domain/event.js';
import { type Digest, headline } from './digest.js';

// Slack's limits: a header's plain text 150 characters, a section's text 3,000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;

/** Slack's mrkdwn needs only these three escaped (api.slack.com, "Formatting text"). */
function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A link, when the URL is one Slack can show (no `|` or `>` to break the syntax). */
function link(url: string | null, label: string): string {
  return url && /^https?:\/\/[^|<> ]+$/.test(url) ? `<${url}|${escape(label)}>` : escape(label);
}

function findingLine(event: ScanEvent): string {
  const finding = event.detail.finding;
  const name = finding ? link(finding.uri, finding.name) : event.type;
  const pkg = finding?.package ? ` in \`${escape(finding.package)}\` ${escape(finding.version ?? '')}` : '';
  const fix = finding?.fixedVersion ? ` → ${escape(finding.fixedVersion)}` : '';
  const where = event.tag ? ` (${escape(event.tag)})` : '';
  const what = event.type === 'finding.new' ? '' : ` _${event.type.slice('finding.'.length)}_`;
  return `• *${event.severity ?? 'UNDEFINED'}* ${name}${pkg}${fix}${where}${what}`;
}

function changeLine(event: ScanEvent): string {
  const error = event.detail.error ? `: ${escape(event.detail.error)}` : '';
  return `• ${escape(event.type)}${event.tag ? ` ${escape(event.tag)}` : ''}${error}`;
}

/** A Slack incoming-webhook message: `text` for notifications and old clients, Block Kit `blocks` for the rest. */
export function renderSlack(digest: Digest): { contentType: string; body: string } {
  const title = digest.config ? `${digest.config.repository} (${digest.config.registry})` : 'ecrscan digest';
  const text = headline(digest);
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(escape(text), SECTION_MAX) } },
  ];
  if (digest.findings.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(digest.findings.map(findingLine).join('\n'), SECTION_MAX) } });
  }
  if (digest.changes.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(digest.changes.map(changeLine).join('\n'), SECTION_MAX) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${link(digest.eventsUrl, `All ${digest.events} events`)}` }] });
  return { contentType: 'application/json', body: JSON.stringify({ text, blocks }) };
}
