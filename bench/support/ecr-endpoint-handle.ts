import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ENDPOINT_OPERATIONS, type EndpointOperation, type EndpointSpec } from './ecr-endpoint-spec.js';

/** The ECR-compatible endpoint running in a process of its own (ecr-endpoint-process.ts). */
export interface EndpointProcess {
  url: string;
  pid: number;
  /** Calls the endpoint received since it started or was last reset. */
  calls(): Promise<CallCounts>;
  resetCalls(): Promise<void>;
  stop(): Promise<void>;
}

export interface CallCounts {
  byOperation: Record<EndpointOperation, number>;
  /** Every call, including ones naming no known operation. */
  total: number;
}

const SCRIPT = fileURLToPath(new URL('./ecr-endpoint-process.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 10_000;

export async function startEndpointProcess(spec: EndpointSpec): Promise<EndpointProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ECR endpoint did not start: ${output}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', () => {
      const match = /\{"url":"(http:\/\/127\.0\.0\.1:[0-9]+)"\}/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ECR endpoint exited with ${code}: ${output}`));
    });
  });
  if (child.pid === undefined) throw new Error('the ECR endpoint process has no pid');
  return {
    url,
    pid: child.pid,
    async calls() {
      return callCountsOf(await ask(child, 'calls'));
    },
    async resetCalls() {
      await ask(child, 'reset');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends a request over the IPC channel and resolves with the answer of the same type. */
function ask(child: ChildProcess, type: 'calls' | 'reset'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`the ECR endpoint did not answer "${type}"`));
    }, ANSWER_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if (typeof message !== 'object' || message === null || !('type' in message) || message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

function callCountsOf(message: unknown): CallCounts {
  const record = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const calls = typeof record.calls === 'object' && record.calls !== null ? (record.calls as Record<string, unknown>) : {};
  const count = (value: unknown, what: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`the ECR endpoint answered a malformed count for ${what}`);
    return value;
  };
  const byOperation = Object.fromEntries(ENDPOINT_OPERATIONS.map((operation) => [operation, count(calls[operation], operation)])) as Record<EndpointOperation, number>;
  return { byOperation, total: count(record.total, 'the total') };
}
