import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Paths of every secret that could reach a log line; pino replaces their values. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'config.apiToken',
  '*.apiToken',
  '*.password',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  '*.identitytoken',
  '*.auth',
];

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'ecrscan' } }, destination as pino.DestinationStream | undefined);
}
