import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server the benchmark started as its own process. */
export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** Keeps the tail of a child's output, for the error message when it fails to start. */
function captureOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

/** Stops the child with SIGTERM, then SIGKILL if it has not exited within 15 s. */
export function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
}

/** A port nobody listens on right now; the service is told it, as its log at `warn` does not say where it listens. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not learn a free port');
  return address.port;
}

export interface ServiceProcessOptions {
  /** Node arguments before the entry point, e.g. `['--import', 'tsx']` or `['--cpu-prof']`. */
  nodeArgs: string[];
  /** The CLI entry point, compiled or TypeScript. */
  entry: string;
  env: NodeJS.ProcessEnv;
}

/** Starts `ecrscan serve` on a free port and resolves once `/healthz` answers. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...options.nodeArgs, options.entry, 'serve'], {
    env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (true) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} while starting: ${output()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopper(child)();
      throw new Error(`the service did not answer /healthz within ${START_TIMEOUT_MS} ms: ${output()}`);
    }
    await sleep(100);
  }
  return { url, pid: requirePid(child), stop: stopper(child) };
}

/**
 * Starts the bare Fastify reference serving a constant body of `size` bytes of `type`;
 * `command` is what follows `node`: its options and the script.
 */
export async function startReferenceServer(command: string[], size: number, type: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...command, '--size', String(size), '--type', type], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the reference server did not start: ${output()}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', () => {
      const match = /\{"url":"(http:\/\/127\.0\.0\.1:[0-9]+)"\}/.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the reference server exited with ${code}: ${output()}`));
    });
  });
  return { url, pid: requirePid(child), stop: stopper(child) };
}

function requirePid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('the child process has no pid');
  return child.pid;
}

export interface MemoryFigures {
  /** Highest resident set size seen while sampling, in bytes. */
  peakRss: number;
  /** The kernel's high-water mark of the resident set over the process's life, in bytes. */
  highWaterMark: number;
}

async function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+([0-9]+) kB$`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's resident memory every `intervalMs` until `stop` is called; `stop` may be called again. */
export function sampleMemory(pid: number, intervalMs = 100): { stop(): Promise<MemoryFigures> } {
  let peakRss = 0;
  let running = true;
  let failure: unknown = null;
  const sampling = (async () => {
    try {
      while (running) {
        peakRss = Math.max(peakRss, await statusField(pid, 'VmRSS'));
        await sleep(intervalMs);
      }
    } catch (err) {
      // The process is gone; kept for `stop`, so that no rejection goes unhandled meanwhile.
      failure = err;
    }
  })();
  let result: Promise<MemoryFigures> | null = null;
  return {
    stop() {
      running = false;
      result ??= sampling.then(async () => {
        if (failure !== null) throw failure;
        return { peakRss, highWaterMark: await statusField(pid, 'VmHWM') };
      });
      return result;
    },
  };
}
