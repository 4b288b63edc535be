import type { InstalledPackage, OsRelease } from '../inventory.js';
import type { ImageFiles } from '../layers/image-files.js';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE, isSaneToken, textOf, type Analyser, type AnalyserResult } from './analyser.js';
import { failedAnalysis } from './analyser-failure.js';
import { distributionOf } from './os-release.js';

const INSTALLED_PATH = 'lib/apk/db/installed';

export interface ApkPackage {
  name: string;
  version: string;
  /** `o:`, the source package (aport) the binary was built from; Alpine's advisories name it. */
  origin: string | null;
  architecture: string | null;
}

export const apkAnalyser: Analyser = {
  name: 'apk',
  role: 'os',
  version: '2',
  paths: [INSTALLED_PATH],
  analyse(files: ImageFiles, os: OsRelease | null): AnalyserResult {
    let bytes: Buffer | null;
    try {
      // A database too large to read fails this analyser alone; a malformed one, the image.
      bytes = files.read(INSTALLED_PATH);
    } catch (err) {
      return failedAnalysis('apk packages', err, [INSTALLED_PATH]);
    }
    if (!bytes) return { found: false, packages: [], notes: [] };
    const text = textOf(bytes, INSTALLED_PATH);
    const parsed = { packages: parseApkInstalled(text, INSTALLED_PATH), text };
    const distribution = distributionOf(os);
    const packages = parsed.packages.map((pkg) => ({
      ecosystem: distribution.ecosystem,
      name: pkg.name,
      version: pkg.version,
      sourceName: pkg.origin ?? pkg.name,
      // Subpackages share their origin's version: one APKBUILD builds them all.
      sourceVersion: pkg.version,
      path: INSTALLED_PATH,
    }));
    const result: AnalyserResult = { found: true, packages, notes: [], ownedFiles: apkOwnedFiles(parsed.text) };
    if (distribution.covered) return result;
    const gap = { distribution: distribution.label, ecosystem: distribution.ecosystem, path: INSTALLED_PATH, packages: packages.length };
    return { ...result, gap, unsettled: [INSTALLED_PATH] };
  },
};

/** The files apk installed: each `R:` (file name) under the `F:` (directory) before it, relative to the root. */
export function* apkOwnedFiles(text: string): Generator<string> {
  let dir = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('F:')) dir = line.slice(2).replace(/\r$/, '');
    else if (line === '') dir = '';
    else if (line.startsWith('R:')) {
      const name = line.slice(2).replace(/\r$/, '');
      yield dir === '' ? name : `${dir}/${name}`;
    }
  }
}

/**
 * Parses apk's installed database: stanzas of one-letter `X:value` lines separated by
 * blank lines (`P:` name, `V:` version, `o:` origin, `A:` architecture; file lists and
 * checksums are skipped). A line of any other shape, or a stanza without name or
 * version, makes the file malformed.
 */
export function parseApkInstalled(text: string, path: string): ApkPackage[] {
  const packages: ApkPackage[] = [];
  let current: Partial<ApkPackage> & { line: number } | null = null;
  const finish = (): void => {
    if (!current) return;
    if (!current.name || !current.version) {
      throw new AnalyserError(`${path} is malformed: the entry at line ${current.line} has no ${current.name ? 'V: (version)' : 'P: (name)'}`);
    }
    packages.push({ name: current.name, version: current.version, origin: current.origin ?? null, architecture: current.architecture ?? null });
    if (packages.length > MAX_PACKAGES_PER_DATABASE) throw new AnalyserError(`${path} lists more than ${MAX_PACKAGES_PER_DATABASE} packages`);
    current = null;
  };
  let lineNumber = 0;
  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') {
      finish();
      continue;
    }
    if (line[1] !== ':' || !/^[A-Za-z]$/.test(line[0] ?? '')) {
      throw new AnalyserError(`${path} is malformed: line ${lineNumber} is not "X:value"`);
    }
    current ??= { line: lineNumber };
    const value = line.slice(2);
    switch (line[0]) {
      case 'P':
        current.name = checked(value, 'name', path, lineNumber);
        break;
      case 'V':
        current.version = checked(value, 'version', path, lineNumber);
        break;
      case 'o':
        current.origin = checked(value, 'origin', path, lineNumber);
        break;
      case 'A':
        current.architecture = value;
        break;
    }
  }
  finish();
  return packages;
}

function checked(value: string, what: string, path: string, line: number): string {
  if (!isSaneToken(value)) throw new AnalyserError(`${path} is malformed: line ${line} has an invalid ${what}`);
  return value;
}
