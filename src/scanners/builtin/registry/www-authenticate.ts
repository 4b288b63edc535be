/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/**
 * Parses every challenge of a header such as
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
 * Quoted values may hold commas and escaped quotes, so splitting on commas would not do.
 * A name followed by `=` is a parameter of the current challenge; any other name starts
 * the next challenge.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | null = null;
  let i = 0;
  while (i < header.length) {
    i = skipWhile(header, i, (char) => char === ',' || char === ' ' || char === '\t');
    const name = tokenAt(header, i);
    if (!name) break;
    const afterName = skipWhile(header, i + name.length, (char) => char === ' ' || char === '\t');
    if (current && header[afterName] === '=') {
      const valueStart = skipWhile(header, afterName + 1, (char) => char === ' ' || char === '\t');
      const { value, end } = valueAt(header, valueStart);
      current.params[name.toLowerCase()] = value;
      i = end;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    challenges.push(current);
    i = afterName;
  }
  return challenges;
}

function skipWhile(text: string, from: number, test: (char: string) => boolean): number {
  let i = from;
  while (i < text.length && test(text[i] ?? '')) i++;
  return i;
}

function tokenAt(text: string, at: number): string {
  TOKEN.lastIndex = at;
  return TOKEN.exec(text)?.[0] ?? '';
}

function valueAt(text: string, at: number): { value: string; end: number } {
  if (text[at] !== '"') {
    // RFC 9110 wants a token here; some servers send URLs unquoted, so read up to a separator.
    const end = skipWhile(text, at, (char) => char !== ',' && char !== ' ' && char !== '\t');
    // Skip a stray character so that a malformed header cannot stall the loop.
    return { value: text.slice(at, end), end: Math.max(end, at + 1) };
  }
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i++;
    } else if (char === '"') {
      return { value, end: i + 1 };
    } else {
      value += char;
    }
  }
  return { value, end: text.length };
}
