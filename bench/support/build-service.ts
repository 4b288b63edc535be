import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { PROJECT_DIR } from './paths.js';

/**
 * Compiles the service with the project's own build settings into `outDir` and returns
 * the CLI's entry point there. The benchmark measures what `npm start` runs (compiled
 * JavaScript), and a directory of its own means it neither depends on nor disturbs a
 * `dist/` that may be stale or in use. Incremental, so a re-run compiles only what changed.
 */
export async function buildService(outDir: string): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir, '--tsBuildInfoFile', `${outDir}/.tsbuildinfo`],
    { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  // `npm start` builds first and stops on a type error; so does the benchmark.
  if (code !== 0) throw new Error(`the service does not compile:\n${output.slice(-4000)}`);
  return `${outDir}/src/cli/main.js`;
}
