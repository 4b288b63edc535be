import { ConfigError } from '../config.js';
import { CliError } from './cli-error.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command and collects what a terminal would show; failures users can cause become one line and a non-zero code. */
export async function runCommand(command: (out: (text: string) => void) => Promise<void>, write: (text: string) => void = () => undefined): Promise<CliOutcome> {
  let stdout = '';
  try {
    await command((text) => {
      stdout += `${text}\n`;
      write(`${text}\n`);
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    if (err instanceof CliError || err instanceof ConfigError) {
      return { code: err instanceof CliError ? err.exitCode : 2, stdout, stderr: `ecrscan: ${err.message}\n` };
    }
    return { code: 1, stdout, stderr: `ecrscan: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n` };
  }
}

/** Runs a command as the program, its outcome as the process's output and exit code. */
export async function runAsProgram(command: (out: (text: string) => void) => Promise<void>): Promise<void> {
  // A reader that stopped reading (`ecrscan image … | head`) is not a failure to report with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  const outcome = await runCommand(command, (text) => process.stdout.write(text));
  process.stderr.write(outcome.stderr);
  process.exitCode = outcome.code;
}
