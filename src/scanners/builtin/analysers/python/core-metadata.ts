import { printable } from '../../layers/entry-path.js';
import { normalisePep440 } from '../../versioning/pep440.js';

/**
 * Python's core metadata (packaging.python.org, "Core metadata specifications"), as
 * installers leave it in `*.dist-info/METADATA` and setuptools in `*.egg-info/PKG-INFO`
 * (or in a `*.egg-info` file): RFC 822 header fields up to the first blank line, the
 * description after it. Only `Name` and `Version` are read.
 */

export interface PythonDistribution {
  /** PEP 503-normalised: lower case, runs of `-`, `_` and `.` as one `-`. */
  name: string;
  /** PEP 440-normalised: `1.0RC1` → `1.0rc1`. */
  version: string;
}

/** Why one metadata file was left out; the analyser turns these into notes. */
export class PythonFileProblem extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    // Paths are the image's words: shortened and stripped of control characters for notes.
    super(`${printable(path)}: ${reason}`);
    this.name = 'PythonFileProblem';
  }
}

/** PEP 503: the name under which an index, pip and OSV's PyPI records know a project. */
export function normalisePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

// PEP 508's project name: ASCII letters and digits, `.`, `_`, `-` inside.
const PROJECT_NAME = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;
const MAX_NAME_LENGTH = 256;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Where the header ends: the first blank line (LF or CRLF), else the end of the file. */
function headerEnd(bytes: Buffer): number {
  const lf = bytes.indexOf('\n\n');
  const crlf = bytes.indexOf('\r\n\r\n');
  const ends = [lf, crlf].filter((at) => at >= 0);
  return ends.length > 0 ? Math.min(...ends) : bytes.length;
}

/**
 * The header as text. The specification says UTF-8; older tools wrote Latin-1, and some
 * editors a byte order mark or UTF-16. Name and version are ASCII in all of them, so
 * each is decoded as what it evidently is; NUL bytes in a header that is not UTF-16 mean
 * the file is not metadata at all.
 */
function decodeHeader(bytes: Buffer, path: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const header = bytes.subarray(start, headerEnd(bytes));
  if (header.includes(0)) throw new PythonFileProblem(path, 'it holds NUL bytes, not text');
  try {
    return UTF8.decode(header);
  } catch {
    return header.toString('latin1');
  }
}

function headerFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    const match = /^([A-Za-z0-9][A-Za-z0-9_-]*):[ \t]*(.*?)\s*$/.exec(line);
    // Continuation lines (folded values) and stray lines carry nothing read here.
    if (!match?.[1]) continue;
    const key = match[1].toLowerCase();
    if (!fields.has(key)) fields.set(key, match[2] ?? '');
  }
  return fields;
}

export function parseCoreMetadata(bytes: Buffer, path: string): PythonDistribution {
  const fields = headerFields(decodeHeader(bytes, path));
  const name = fields.get('name');
  const version = fields.get('version');
  if (!name) throw new PythonFileProblem(path, 'it has no Name field');
  if (name.length > MAX_NAME_LENGTH || !PROJECT_NAME.test(name)) throw new PythonFileProblem(path, `the invalid project name "${name.slice(0, 64)}"`);
  if (!version) throw new PythonFileProblem(path, `${name} has no Version field`);
  const normalised = normalisePep440(version);
  if (normalised === null) throw new PythonFileProblem(path, `${name} has the version "${version.slice(0, 64)}", which is not PEP 440`);
  return { name: normalisePythonName(name), version: normalised };
}
