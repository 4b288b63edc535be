import { LayerError } from './layer-error.js';

/**
 * The path of a tar entry relative to the image root, without `./`, empty or `.`
 * components and trailing slashes: `./etc/os-release` → `etc/os-release`. Returns null for
 * the root itself. Absolute names and `..` components are refused outright: layers
 * built by image tools never contain them, and a name that climbs out of the root is the
 * classic tar attack.
 */
export function normaliseEntryPath(name: string): string | null {
  let plain = name.startsWith('./') ? name.slice(2) : name;
  if (plain.endsWith('/')) plain = plain.slice(0, -1);
  if (isNormalPath(plain)) return plain;
  if (name.includes('\0')) throw new LayerError('unsafe-path', `layer entry name contains a NUL byte`);
  if (name.startsWith('/')) throw new LayerError('unsafe-path', `layer entry "${printable(name)}" has an absolute path`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new LayerError('unsafe-path', `layer entry "${printable(name)}" climbs out of the image root with ".."`);
    parts.push(part);
  }
  return parts.length > 0 ? parts.join('/') : null;
}

/**
 * Whether a path is already in the form `normaliseEntryPath` gives: nearly every entry
 * name is, and checking that costs a few scans instead of a split and a join. A name
 * with a component starting with `.` (`.`, `..`, but also `.wh.x`) fails the check
 * without being wrong: it takes the long way.
 */
export function isNormalPath(name: string): boolean {
  return (
    name.length > 0 &&
    name.charCodeAt(0) !== 0x2f &&
    name.charCodeAt(name.length - 1) !== 0x2f &&
    !name.startsWith('.') &&
    !name.includes('/.') &&
    !name.includes('//') &&
    !name.includes('\0')
  );
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Entry names are the image's words: shortened and stripped of control characters for messages. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, '?').slice(0, 200);
}
