import { type ConfigOverrides, loadConfig, OPTIONS } from '../../config.js';
import { createLogger, type Logger } from '../../logger.js';
import { createScanners } from '../../scanners/create-scanners.js';
import { startService } from '../../server.js';
import { CliError } from '../cli-error.js';

const FLAGGED = OPTIONS.filter((option) => option.flag !== null);
const HELP_WIDTH = 80;
const DOC_COLUMN = 34;

export const SERVE_HELP = `Usage:
  ecrscan serve [options]   run the API and the scheduler (npm start does this)

Options (each overrides its environment variable):
${FLAGGED.map((option) => `  ${flagWithValue(option).padEnd(32)}${wrap(`${option.doc.replaceAll('`', '')}${option.env ? ` (${option.env})` : ''}`)}`).join('\n')}
  ${'--api-only'.padEnd(32)}serve the API without scanning
  ${'--scheduler-only'.padEnd(32)}scan without serving the API`;

/** The option's text in lines that end before column 80, continued under its own start. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && DOC_COLUMN + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(DOC_COLUMN)}`);
}

function flagWithValue(option: (typeof FLAGGED)[number]): string {
  const placeholder = 'placeholder' in option ? option.placeholder : undefined;
  return placeholder ? `--${option.flag} ${placeholder}` : `--${option.flag}`;
}

export const SERVE_FLAGS = Object.fromEntries(
  FLAGGED.map((option) => [option.flag!, { type: 'switch' in option && option.switch ? ('boolean' as const) : ('string' as const) }]),
);

export async function serveCommand(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<void> {
  const overrides: ConfigOverrides = {};
  for (const option of FLAGGED) {
    const value = values[option.flag!];
    if (typeof value === 'string') overrides[option.key] = value;
    if (value === true) overrides[option.key] = 'true';
  }
  if (values['api-only'] && values['scheduler-only']) throw new CliError('--api-only and --scheduler-only exclude each other', 2);
  if (values['api-only']) overrides.mode = 'api';
  if (values['scheduler-only']) overrides.mode = 'scheduler';
  const config = loadConfig(env, overrides);
  const logger = createLogger(config.logLevel);
  logWarnings(logger);
  const service = await startService(config, { logger, scanners: (store) => createScanners({ store, config, logger }) });
  if (service.url) {
    const auth = config.apiToken || config.tokensFile ? 'tokens required' : 'no API token: loopback only';
    logger.info({ url: service.url, database: redactUrl(config.databaseUrl), mode: config.mode }, `listening on ${service.url} (${auth})`);
  } else {
    logger.info({ database: redactUrl(config.databaseUrl), mode: config.mode }, 'scheduler running without the API');
  }
  await waitForSignal();
  logger.info('shutting down');
  // A stuck release must not keep the process alive forever.
  setTimeout(() => {
    logger.error('shutdown took longer than 30 s; exiting');
    process.exit(1);
  }, 30_000).unref();
  await service.close();
}

/**
 * Process warnings (the AWS SDK's notice about Node versions, deprecations) as one JSON
 * log line each, instead of Node's raw multi-line text on stderr between log lines.
 */
function logWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name, detail: warning.message.replace(/\s+/g, ' ').trim() }, 'runtime warning'));
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

/** Keeps a PostgreSQL password out of the log. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:[redacted]@');
}
