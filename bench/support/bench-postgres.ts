import { spawnSync } from 'node:child_process';
import { adminStatement, findPostgresBin, type Releaser, startThrowawayServer } from '../../test/support/postgres-server.js';
import { startWatchdog } from '../../test/support/watchdog.js';

/**
 * A PostgreSQL server of the benchmark's own, from the installed server binaries (on
 * Debian and Ubuntu, `apt-get install postgresql`), on a free loopback port with durability
 * switched off; stopped and removed by `stop`, or by a watchdog should this process die.
 */
export interface BenchPostgres {
  port: number;
  /** A new, empty database; its `postgres://` URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  /** Drops a database, closing any connection still on it. */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: no initdb in /usr/lib/postgresql/*/bin or on PATH (apt-get install postgresql)');
  // PostgreSQL refuses to run as root; the Debian package brings the postgres user.
  const runAs = process.getuid?.() === 0 ? 'postgres' : null;
  if (runAs && spawnSync('id', ['-u', runAs]).status !== 0) throw new Error('running as root and there is no "postgres" user to run PostgreSQL as');
  const releasers: Releaser[] = [];
  const watchdog = await startWatchdog();
  releasers.push(() => watchdog.dismiss());
  const stop = async (): Promise<void> => {
    for (const release of releasers.splice(0).reverse()) await release();
  };
  try {
    const server = await startThrowawayServer(bin, runAs, releasers, watchdog);
    const adminUrl = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
    return {
      port: server.port,
      async createDatabase(name, template = 'template0') {
        await adminStatement(adminUrl, `create database ${identifier(name)} template ${identifier(template)} encoding 'UTF8'`);
        return `postgres://postgres@127.0.0.1:${server.port}/${name}`;
      },
      dropDatabase: (name) => adminStatement(adminUrl, `drop database if exists ${identifier(name)} with (force)`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`"${name}" is not a plain database name`);
  return name;
}
