import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { runAsProgram } from '../outcome.js';
import { IMAGE_FLAGS, IMAGE_HELP } from './image-options.js';

/**
 * `ecrscan image ARGS`: parsed here, the command loaded only once the arguments are good.
 * A pipeline starts a process per image, so `main.js` comes here without loading the
 * service's modules (the HTTP server, the store's routes, the other commands).
 */
export async function imageMain(args: string[], env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, format: { type: 'string' }, severity: { type: 'string' }, platform: { type: 'string' }, ...IMAGE_FLAGS },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message} (run "ecrscan image --help" for usage)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return out(IMAGE_HELP);
  const { imageCommand } = await import('../commands/image-command.js');
  return imageCommand(
    positionals,
    {
      format: values.format,
      severity: values.severity,
      exitCode: values['exit-code'],
      ignoreUnfixed: values['ignore-unfixed'] === true,
      output: values.output,
      input: values.input,
      platform: values.platform,
      cacheDir: values['cache-dir'],
      ignoreFile: values['ignore-file'],
    },
    env,
    out,
  );
}

/** `ecrscan image` as the program. */
export async function runImageCli(): Promise<void> {
  await runAsProgram((out) => imageMain(process.argv.slice(3), process.env, out));
}
