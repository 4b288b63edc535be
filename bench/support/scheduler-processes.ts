import { spawn } from 'node:child_process';
import { stopper } from './processes.js';

/** `ecrscan serve --scheduler-only` as its own process, the way a fleet of scanning processes runs. */
export interface SchedulerProcess {
  pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const READY = /scheduler running without the API/;

/**
 * Starts the compiled CLI `entry` as a scheduler-only process and resolves once it says
 * its scheduler runs. It logs at info, as a deployment does; its output is drained and
 * only the tail is kept, for the error message should it fail.
 */
export async function startSchedulerProcess(entry: string, env: NodeJS.ProcessEnv): Promise<SchedulerProcess> {
  const child = spawn(process.execPath, [entry, 'serve', '--scheduler-only'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let ready = false;
  const append = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stderr.on('data', append);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the scheduler process did not start: ${tail}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      append(chunk);
      if (!ready && READY.test(tail)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the scheduler process exited with ${code}: ${tail}`));
    });
  });
  if (child.pid === undefined) throw new Error('the scheduler process has no pid');
  return {
    pid: child.pid,
    stop: stopper(child),
  };
}
