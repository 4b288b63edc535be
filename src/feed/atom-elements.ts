import type { Finding } from '../domain/finding.js';
import { escapeXmlAttribute, escapeXmlText } from './xml-escape.js';

/** What every Atom (RFC 4287) feed of this service writes: the feed head and its checked values. */

export const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';
export const ATOM_MEDIA_TYPE = 'application/atom+xml';

/** Only web links become `<link rel="alternate">`: readers open them on a click, and a scanner could hand us `javascript:`. */
export const WEB_LINK = /^https?:\/\/\S+$/i;

export interface AtomFeedHead {
  /** Stable feed id, e.g. `urn:uuid:<config id>`. */
  id: string;
  title: string;
  updated: Date;
  /** Absolute URL of this page. */
  selfUrl: string;
  /** Absolute URL of the next page (RFC 5005 `rel="next"`), or null on the last page. */
  nextUrl: string | null;
  /** Optional alternate representation (HTML or JSON) of the same entries. */
  alternateUrl?: string | null;
  author: string;
  generator: { name: string; version: string };
}

export function feedHead(input: AtomFeedHead): string {
  const next = hasText(input.nextUrl) ? linkElement('  ', 'next', input.nextUrl, ATOM_MEDIA_TYPE) : '';
  const alternate = hasText(input.alternateUrl) ? linkElement('  ', 'alternate', input.alternateUrl, null) : '';
  const { name, version } = input.generator;
  const versionAttribute = hasText(version) ? ` version="${escapeXmlAttribute(version)}"` : '';
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="${ATOM_NAMESPACE}">
  <id>${escapeXmlText(requireText(input.id, 'id'))}</id>
  <title>${escapeXmlText(requireText(input.title, 'title'))}</title>
  <updated>${rfc3339(input.updated, 'updated')}</updated>
${linkElement('  ', 'self', requireText(input.selfUrl, 'selfUrl'), ATOM_MEDIA_TYPE)}${next}${alternate}\
  <author><name>${escapeXmlText(requireText(input.author, 'author'))}</name></author>
  <generator${versionAttribute}>${escapeXmlText(requireText(name, 'generator.name'))}</generator>
`;
}

export function linkElement(indent: string, rel: string, href: string, type: string | null): string {
  const typeAttribute = type === null ? '' : ` type="${type}"`;
  return `${indent}<link rel="${rel}" href="${escapeXmlAttribute(href)}"${typeAttribute}/>\n`;
}

/** The lines every entry about a finding shows, from the package to the advisory. */
export function pushFindingLines(lines: string[], finding: Omit<Finding, 'description'>): void {
  pushLine(lines, 'Package', finding.package);
  pushLine(lines, 'Found in', finding.path);
  pushLine(lines, 'Installed version', finding.version);
  pushLine(lines, 'Fixed version', finding.fixedVersion);
  const score = finding.cvss?.score;
  if (typeof score === 'number' && Number.isFinite(score)) lines.push(`CVSS score: ${score.toFixed(1)}`);
  pushLine(lines, 'CVSS vector', finding.cvss?.vector);
  if (finding.aliases.length > 0) pushLine(lines, 'Aliases', finding.aliases.join(', '));
  pushLine(lines, 'Advisory', finding.uri);
}

export function pushLine(lines: string[], label: string, value: string | null | undefined): void {
  if (hasText(value)) lines.push(`${label}: ${value}`);
}

export function hasText(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Feed-level values come from our own code: an empty one is a bug, not something to hide with an empty element. */
export function requireText(value: string, field: string): string {
  if (!hasText(value)) throw new TypeError(`atom feed: ${field} must not be empty`);
  return value;
}

/**
 * RFC 3339 in UTC, as `xsd:dateTime` also accepts it (the schema's type). Years outside
 * 1..9999 have no RFC 3339 form: such a date is a bug upstream, and an unparseable
 * `<updated>` is exactly the demo's bug, so it fails loudly instead.
 */
export function rfc3339(date: Date, field: string): string {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 1 || year > 9999) {
    throw new RangeError(`atom feed: ${field} is not a representable date`);
  }
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
