import type { InstalledPackage } from '../../inventory.js';
import type { ImageFiles } from '../../layers/image-files.js';
import { createPathSelector } from '../../layers/path-selector.js';
import { AnalyserError, MAX_PACKAGES_PER_DATABASE, type Analyser, type AnalyserResult } from '../analyser.js';
import { boundedNotes, failedAnalysis } from '../analyser-failure.js';
import { PythonFileProblem, parseCoreMetadata } from './core-metadata.js';

/**
 * Installed Python distributions, wherever an interpreter's `site-packages` or
 * `dist-packages` (or a `pip install --target` directory, or a package's vendored copy)
 * keeps them: `*.dist-info/METADATA` (pip and every wheel installer), `*.egg-info/PKG-INFO`
 * and single-file `*.egg-info` (setuptools, distribution packages).
 */

const METADATA_PATHS = ['**/*.dist-info/METADATA', '**/*.egg-info/PKG-INFO', '**/*.egg-info'];
const selector = createPathSelector({ keep: METADATA_PATHS, note: [] });

export const pythonAnalyser: Analyser = {
  name: 'python',
  role: 'language',
  version: '2',
  paths: METADATA_PATHS,
  analyse(files: ImageFiles): AnalyserResult {
    const paths = files.allFiles().filter((path) => selector.interestIn(path) === 'keep');
    if (paths.length === 0) return { found: false, packages: [], notes: [] };
    try {
      return analysePythonFiles(files, paths);
    } catch (err) {
      return failedAnalysis('Python packages', err, paths);
    }
  },
};

function analysePythonFiles(files: ImageFiles, paths: readonly string[]): AnalyserResult {
  if (paths.length > MAX_PACKAGES_PER_DATABASE) throw new AnalyserError(`the image holds more than ${MAX_PACKAGES_PER_DATABASE} Python metadata files`);
  const packages = new Map<string, InstalledPackage>();
  const notes: string[] = [];
  const unsettled: string[] = [];
  for (const path of paths) {
    const bytes = files.read(path);
    if (!bytes) continue;
    try {
      const { name, version } = parseCoreMetadata(bytes, path);
      const key = `${installDirOf(path)}\n${name}\n${version}`;
      const known = packages.get(key);
      // Metadata of both kinds for one distribution in one directory is one package; dist-info names it.
      if (!known || (!isDistInfo(known.path) && isDistInfo(path))) {
        packages.set(key, { ecosystem: 'PyPI', name, version, sourceName: null, sourceVersion: null, path });
      }
    } catch (err) {
      if (!(err instanceof PythonFileProblem)) throw err;
      notes.push(`Python: ${err.message} (left out)`);
      unsettled.push(path);
    }
  }
  return { found: true, packages: [...packages.values()], notes: boundedNotes(notes, 'Python metadata files left out'), unsettled };
}

/** `…/site-packages` for `…/site-packages/x-1.0.dist-info/METADATA` and for `…/site-packages/x-1.0.egg-info`. */
function installDirOf(path: string): string {
  const parts = path.split('/');
  let metadataDir = parts.length - 1;
  while (metadataDir > 0 && !/\.(?:dist|egg)-info$/.test(parts[metadataDir] ?? '')) metadataDir--;
  return parts.slice(0, metadataDir).join('/');
}

function isDistInfo(path: string): boolean {
  return path.endsWith('.dist-info/METADATA');
}
