import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The reference registry (Debian package `docker-registry`) started for one test file. */
export interface RegistryServer {
  /** `127.0.0.1:<port>` */
  host: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file with the certificate whose key signs the tokens. */
  rootCertBundle: string;
}

export interface StartRegistryOptions {
  /** Require bearer tokens issued by this token server (distribution's `auth.token`). */
  tokenAuth?: TokenAuthConfig;
}

const BINARY = 'docker-registry';

/** The registry binary on PATH, or null when it is not installed. */
export function findRegistryBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Says loudly why a suite does not run, for test files to call when the binary is absent. */
export function warnRegistryMissing(suite: string): void {
  console.warn(`SKIPPED: docker-registry not installed (apt-get install docker-registry); ${suite} did not run`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<RegistryServer> {
  const binary = findRegistryBinary();
  if (!binary) throw new Error('docker-registry is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, configYaml(join(dir, 'storage'), host, options.tokenAuth));
  const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(`http://${host}/v2/`, child);
  } catch (err) {
    await stop();
    throw new Error(`docker-registry did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { host, url: `http://${host}`, stop };
}

function configYaml(storage: string, host: string, tokenAuth: TokenAuthConfig | undefined): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (tokenAuth) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${tokenAuth.realm}`,
      `    service: ${tokenAuth.service}`,
      `    issuer: ${tokenAuth.issuer}`,
      `    rootcertbundle: ${tokenAuth.rootCertBundle}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out waiting for /v2/');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
