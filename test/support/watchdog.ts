import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Cleans up after this process should it die without running its teardown: a kill -9, a
 * Ctrl-C, a runner's timeout. A detached shell waits for this process to end, then runs the
 * commands registered with `add`. Servers started through pg_ctl are detached from us and
 * would otherwise run on forever.
 */
export interface Watchdog {
  add(command: string[]): Promise<void>;
  /** The normal teardown has run: stop watching and forget the commands. */
  dismiss(): Promise<void>;
}

const WAIT_THEN_CLEAN = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; sh "$2/cleanup.sh" >/dev/null 2>&1; rm -rf "$2"';

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export async function startWatchdog(): Promise<Watchdog> {
  const dir = await mkdtemp(join(tmpdir(), 'ecrscan-watchdog-'));
  const script = join(dir, 'cleanup.sh');
  await writeFile(script, '');
  const watcher = spawn('sh', ['-c', WAIT_THEN_CLEAN, 'watchdog', String(process.pid), dir], { detached: true, stdio: 'ignore' });
  watcher.unref();
  return {
    add: (command) => appendFile(script, `${command.map(shellQuote).join(' ')}\n`),
    dismiss: async () => {
      // The shell leads a process group of its own (detached), so its sleep goes with it.
      if (watcher.pid !== undefined && watcher.exitCode === null) process.kill(-watcher.pid);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
