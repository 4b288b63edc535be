import type { Config, RunMode } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { loadLambdaConfig, type SecretReader } from './lambda-config.js';

/** What a handler is built from; tests give their own environment and secret reader. */
export interface LambdaOptions {
  env: NodeJS.ProcessEnv;
  readSecret?: SecretReader;
  /** Where log lines go; standard output (CloudWatch Logs) by default. */
  logDestination?: NodeJS.WritableStream;
}

export interface LambdaService {
  config: Readonly<Config>;
  logger: Logger;
}

/** Configuration and logger of a function in the given role, as `ecrscan serve` makes them. */
export async function prepareLambdaService(mode: RunMode, options: LambdaOptions): Promise<LambdaService> {
  const config = await loadLambdaConfig(options.env, mode, ...(options.readSecret ? [options.readSecret] : []));
  return { config, logger: createLogger(config.logLevel, options.logDestination) };
}
