import type { ScannerId } from '../domain/scan-config.js';
import type { Scanner } from './scanner.js';

/** Every scanner the service has, by the id a configuration names. Listed here explicitly, never self-registered. */
export type ScannerRegistry = Readonly<Record<ScannerId, Scanner>>;
