/** The parts of a purl (https://github.com/package-url/purl-spec). */
export interface PurlParts {
  type: string;
  namespace: string | null;
  name: string;
  version: string | null;
  qualifiers: Readonly<Record<string, string>> | null;
  subpath: string | null;
}

/**
 * A purl in the specification's canonical form: the type lower-cased, each namespace and
 * subpath segment, the name, the version and each qualifier value percent-encoded but for
 * `A–Z a–z 0–9 . - _ ~` and `:`, qualifiers sorted by key, empty ones left out. Written here
 * rather than taken from packageurl-js, which leaves `+` unencoded in versions (Debian's
 * `2.36-9+deb12u10`), against the specification's own test cases.
 */
export function formatPurl(parts: PurlParts): string {
  let purl = `pkg:${parts.type.toLowerCase()}/`;
  if (parts.namespace) purl += `${segments(parts.namespace)}/`;
  purl += encode(parts.name);
  if (parts.version) purl += `@${encode(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter(([, value]) => value !== '')
    .map(([key, value]) => [key.toLowerCase(), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) purl += `?${qualifiers.map(([key, value]) => `${key}=${encode(value)}`).join('&')}`;
  if (parts.subpath) purl += `#${segments(parts.subpath)}`;
  return purl;
}

function segments(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
    .map(encode)
    .join('/');
}

function encode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%3A/g, ':')
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
