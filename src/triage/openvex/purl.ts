/** The parts of a package URL (https://github.com/package-url/purl-spec) a suppression uses. */
export interface Purl {
  type: string;
  namespace: string | null;
  name: string;
  qualifiers: Map<string, string>;
}

const PURL = /^pkg:([A-Za-z.+-][A-Za-z0-9.+-]*)\/+([^?#@]+)(?:@[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/;

/** Parses a package URL; null when the text is not one. Versions and subpaths are not kept. */
export function parsePurl(text: string): Purl | null {
  const match = PURL.exec(text);
  if (!match?.[1] || !match[2]) return null;
  try {
    const segments = match[2].split('/').filter((segment) => segment !== '').map(decodeURIComponent);
    const name = segments.pop();
    if (!name) return null;
    const qualifiers = new Map<string, string>();
    for (const pair of (match[3] ?? '').split('&')) {
      const at = pair.indexOf('=');
      if (at > 0) qualifiers.set(pair.slice(0, at).toLowerCase(), decodeURIComponent(pair.slice(at + 1)));
    }
    return { type: match[1].toLowerCase(), namespace: segments.length > 0 ? segments.join('/') : null, name, qualifiers };
  } catch {
    // A malformed percent-escape.
    return null;
  }
}

/** Percent-encodes what a purl segment or qualifier value may not hold as is. */
export function purlEncode(text: string): string {
  return encodeURIComponent(text).replaceAll('%2F', '/');
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^(${COMPONENT}(?:/${COMPONENT})*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@sha256:[0-9a-f]{64})?$`);

/** An image reference `[host[:port]/]repository[:tag][@digest]`: its repository and tag. */
export function parseImageReference(text: string): { repository: string; tag: string | null } | null {
  const slash = text.indexOf('/');
  const first = slash < 0 ? '' : text.slice(0, slash);
  // As the Docker reference grammar reads it: a first part with a dot or port, or localhost, is a host.
  const rest = slash > 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? text.slice(slash + 1) : text;
  const match = IMAGE_REFERENCE.exec(rest);
  if (!match?.[1]) return null;
  return { repository: match[1], tag: match[2] ?? null };
}
