import { AnalyserError } from './analyser.js';

/**
 * Parses deb822 control data (dpkg's `status`): stanzas of `Field: value` lines separated
 * by blank lines, continuation lines starting with a space or tab. Only the fields asked
 * for are kept (first line of each), so a large database costs little beyond its text.
 * Anything else is malformed: better a failed image than a misread one.
 */
export function parseControlStanzas(text: string, wanted: ReadonlySet<string>, path: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current: Map<string, string> | null = null;
  let inField = false;
  let lineNumber = 0;
  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') {
      current = null;
      inField = false;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!inField) throw malformed(path, lineNumber, 'a continuation line outside a field');
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw malformed(path, lineNumber, 'a line that is not "Field: value"');
    if (!current) {
      current = new Map();
      stanzas.push(current);
    }
    inField = true;
    if (wanted.has(name)) current.set(name, line.slice(colon + 1).trim());
  }
  return stanzas;
}

function malformed(path: string, line: number, what: string): AnalyserError {
  return new AnalyserError(`${path} is malformed: line ${line} is ${what}`);
}
