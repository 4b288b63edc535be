import { dirname, resolve } from 'node:path';

/**
 * Where OSV downloads go while they are imported: beside a SQLite database file, else
 * (PostgreSQL, an in-memory database) in `./data/`, the service's data directory.
 */
export function osvDataDir(databaseUrl: string): string {
  const isFile = !/^postgres(ql)?:\/\//.test(databaseUrl) && databaseUrl !== ':memory:';
  return isFile ? dirname(resolve(databaseUrl.replace(/^sqlite:(\/\/)?/, ''))) : resolve('data');
}
