import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { escapeXmlAttribute, escapeXmlText } from './xml-escape.js';

function parseStrict(xml: string) {
  const doc = new DOMParser({
    onError(level, message) {
      throw new Error(`XML ${level}: ${message}`);
    },
  }).parseFromString(xml, 'application/xml');
  const root = doc.documentElement;
  assert.ok(root);
  return root;
}

const FORBIDDEN_OR_REPLACEMENT =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const SAMPLES = [
  'plain',
  `<&>"'`,
  ']]>',
  '&amp; is already escaped',
  'tab\there\nnewline\r\ncrlf\rcr',
  'nel\u0085 ls\u2028 ps\u2029',
  'emoji \uD83D\uDE00 and accents é',
  'a replacement character \uFFFD from the scanner',
  '',
];

describe('escapeXmlText', () => {
  it('round-trips through a parser as element content', () => {
    for (const sample of SAMPLES) {
      assert.equal(parseStrict(`<a>${escapeXmlText(sample)}</a>`).textContent, sample, JSON.stringify(sample));
    }
  });

  it('leaves text without special characters as it is', () => {
    const text = 'Normally in OpenSSL EC groups always have a co-factor present.\n\tIndented.';
    assert.equal(escapeXmlText(text), text);
  });

  it('replaces characters XML 1.0 forbids with U+FFFD', () => {
    const cases: Array<[string, string]> = [
      ['a\u0000b\u0008c\u000Bd\u000Ce\u001Ff\uFFFEg\uFFFFh', 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh'],
      ['lone high \uD800 x', 'lone high \uFFFD x'],
      ['lone low \uDC00 x', 'lone low \uFFFD x'],
      ['reversed \uDE00\uD83D', 'reversed \uFFFD\uFFFD'],
      ['pair \uD83D\uDE00', 'pair \uD83D\uDE00'],
    ];
    for (const [input, expected] of cases) {
      const escaped = escapeXmlText(input);
      assert.doesNotMatch(escaped, FORBIDDEN_OR_REPLACEMENT, JSON.stringify(input));
      assert.equal(parseStrict(`<a>${escaped}</a>`).textContent, expected, JSON.stringify(input));
    }
  });

  it('writes U+FFFD as a reference, which parsers do not mistake for a decoding error', () => {
    assert.equal(escapeXmlText('already \uFFFD here'), 'already &#xFFFD; here');
  });
});

describe('escapeXmlAttribute', () => {
  it('round-trips through a parser in double- and single-quoted attributes', () => {
    for (const sample of SAMPLES) {
      const escaped = escapeXmlAttribute(sample);
      assert.equal(parseStrict(`<a v="${escaped}"/>`).getAttribute('v'), sample, JSON.stringify(sample));
      assert.equal(parseStrict(`<a v='${escaped}'/>`).getAttribute('v'), sample, JSON.stringify(sample));
    }
  });

  it('replaces characters XML 1.0 forbids with U+FFFD', () => {
    const escaped = escapeXmlAttribute('x\u0001\uD800y');
    assert.doesNotMatch(escaped, FORBIDDEN_OR_REPLACEMENT);
    assert.equal(parseStrict(`<a v="${escaped}"/>`).getAttribute('v'), 'x\uFFFD\uFFFDy');
  });
});
