import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

/**
 * A V8 CPU profile of this process over one stretch of a benchmark (what `--cpu-prof`
 * records for a whole process), written as `NAME.cpuprofile` into a directory: open it in
 * Chrome DevTools or speedscope.
 */
export interface CpuProfile {
  /** Stops profiling and writes the profile; returns its path. */
  stop(): Promise<string>;
}

export async function startCpuProfile(dir: string, name: string): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}
