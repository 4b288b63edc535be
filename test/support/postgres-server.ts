import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import type { Watchdog } from './watchdog.js';

/** What a test file's teardown runs, last registered first. */
export type Releaser = () => Promise<void>;

export interface ThrowawayServer {
  port: number;
  /** Shuts the server down (connections are dropped) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or null when the PostgreSQL server is not installed. */
export function findPostgresBin(): string | null {
  // Debian and Ubuntu keep the server binaries out of PATH, one directory per major version.
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((entry) => /^[0-9]+(\.[0-9]+)?$/.test(entry))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(debianRoot, version, 'bin');
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

/**
 * Starts a PostgreSQL server of its own in a temporary directory on a free loopback port, with
 * trust authentication for the `postgres` superuser. `runAs` names the system user to run it
 * as (PostgreSQL refuses to run as root); the releasers stop it and remove its files, or the
 * watchdog does should this process die first.
 */
export async function startThrowawayServer(bin: string, runAs: string | null, releasers: Releaser[], watchdog: Watchdog): Promise<ThrowawayServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-pg-'));
  releasers.push(() => rm(dir, { recursive: true, force: true }));
  // The server runs as another user when we are root; it creates its own 0700 data directory in here.
  if (runAs) await chmod(dir, 0o777);
  const dataDir = join(dir, 'data');
  const command = (tool: string, args: string[]): [string, string[]] =>
    runAs ? ['runuser', ['-u', runAs, '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  await run(...command('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']));

  let port = 0;
  let running = false;
  const pgCtl = (args: string[]): Promise<void> => run(...command('pg_ctl', ['-D', dataDir, ...args]));
  const start = async (): Promise<void> => {
    const settings = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      '-c unix_socket_directories=',
      '-c max_connections=300',
      // Durability is pointless for a database thrown away at the end; these make it fast.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    await pgCtl(['-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', settings, 'start']);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate'): Promise<void> => {
    if (!running) return;
    await pgCtl(['-m', mode, '-w', '-t', '30', 'stop']);
    running = false;
  };
  const [stopFile, stopArgs] = command('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  await watchdog.add([stopFile, ...stopArgs]);
  await watchdog.add(['rm', '-rf', dir]);
  releasers.push(() => stop('immediate'));

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt === 3) throw err;
    }
  }
  return { get port() { return port; }, start, stop: () => stop('fast') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to its exit; its output is kept for the error message only. */
function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Resolve on exit, not close: a server started by pg_ctl must not keep us waiting on its pipes.
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${output.trim()}`));
    });
  });
}

/** Runs one statement (`create database`, `drop database` …) on a connection of its own. */
export async function adminStatement(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
