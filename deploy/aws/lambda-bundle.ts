import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildResult, buildSync } from 'esbuild';

/** The repository's root, whatever directory the CDK runs from. */
export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * The files of the functions' code, by the name each gets in the bundle: the two handlers
 * and the built-in scanner's analysis worker, which the analysis pool starts from
 * `./analysis-worker.js` beside its own module (chunks stay in the bundle's root for that).
 */
export const LAMBDA_ENTRY_POINTS = {
  'api-function': 'src/lambda/api-function.ts',
  'scheduled-function': 'src/lambda/scheduled-function.ts',
  'analysis-worker': 'src/scanners/builtin/analysis/analysis-worker.ts',
} as const;

/** Handler names, as the stack's functions name them. */
export const API_HANDLER = 'api-function.handler';
export const SCHEDULED_HANDLER = 'scheduled-function.handler';

/** The Node.js version the bundle is compiled for: the one of the functions' runtime. */
export const LAMBDA_NODE_TARGET = 'node24';

/**
 * Bundles the functions' code into `outdir` with esbuild: one ES module per entry point and
 * shared chunks, every dependency inside, so that the asset is small (no node_modules) and
 * a cold start reads a few files. better-sqlite3's native addon is not in it: the functions
 * use PostgreSQL, and only RPM's SQLite package databases would need it (see README).
 */
export function bundleLambda(outdir: string): BuildResult {
  const result = buildSync({
    absWorkingDir: REPOSITORY_ROOT,
    entryPoints: Object.fromEntries(Object.entries(LAMBDA_ENTRY_POINTS).map(([name, path]) => [name, join(REPOSITORY_ROOT, path)])),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: LAMBDA_NODE_TARGET,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    // pg loads its optional native binding by name; the JavaScript client is the one used.
    // The CycloneDX library's XML plug-ins are optional peers it probes for: SBOMs are JSON.
    external: ['pg-native', 'libxmljs2', 'xmlbuilder2'],
    // CommonJS dependencies bundled into an ES module still call require for Node's own
    // modules, and some (the CycloneDX library) read __dirname when they load.
    define: { __dirname: '__ecrscanDirname', __filename: '__ecrscanFilename' },
    banner: {
      js:
        "import { createRequire as __ecrscanRequire } from 'node:module'; import { fileURLToPath as __ecrscanPath } from 'node:url'; " +
        'const require = __ecrscanRequire(import.meta.url); const __ecrscanFilename = __ecrscanPath(import.meta.url); ' +
        "const __ecrscanDirname = __ecrscanFilename.slice(0, __ecrscanFilename.lastIndexOf('/'));",
    },
    logLevel: 'error',
  });
  // The chunks are ES modules named .js: the bundle's own package.json says so.
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  return result;
}
