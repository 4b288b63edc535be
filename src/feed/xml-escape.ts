/**
 * XML 1.0 escaping for the feed writer. Scanner output is untrusted text: advisory
 * descriptions carry ANSI colour codes, NUL bytes and broken UTF-16, any of which makes
 * a feed unparseable. Characters XML 1.0 cannot carry at all (C0 controls other than
 * TAB/LF/CR, U+FFFE, U+FFFF, unpaired surrogates) become U+FFFD, so that readers show
 * that something was there instead of silently joining the words around it.
 *
 * CR, NEL, LS and PS are written as character references: parsers normalise them to LF
 * when they appear literally (XML 1.0 for CR, XML 1.1 and lenient parsers for the
 * others), and the text must round-trip exactly. In attributes TAB and LF are written as
 * references too, because attribute-value normalisation turns them into spaces.
 */

const NOT_XML_CHARACTER =
  '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]' +
  '|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])' +
  '|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';

const TEXT_NEEDS_WORK = new RegExp(`[&<>\\r\\u0085\\u2028\\u2029\\uFFFD]|${NOT_XML_CHARACTER}`, 'g');
const ATTRIBUTE_NEEDS_WORK = new RegExp(
  `[&<>"'\\t\\n\\r\\u0085\\u2028\\u2029\\uFFFD]|${NOT_XML_CHARACTER}`,
  'g',
);

const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
  '\uFFFD': '&#xFFFD;',
};

/**
 * U+FFFD goes out as a reference, whether we put it there or the scanner did: parsers
 * treat a literal one as a sign of a mis-decoded document and warn about it.
 */
const REPLACEMENT_CHARACTER = '&#xFFFD;';

function replacementFor(match: string): string {
  return REPLACEMENTS[match] ?? REPLACEMENT_CHARACTER;
}

/** Escapes a string for use as element content. */
export function escapeXmlText(value: string): string {
  return value.replace(TEXT_NEEDS_WORK, replacementFor);
}

/** Escapes a string for use inside a double- or single-quoted attribute value. */
export function escapeXmlAttribute(value: string): string {
  return value.replace(ATTRIBUTE_NEEDS_WORK, replacementFor);
}
