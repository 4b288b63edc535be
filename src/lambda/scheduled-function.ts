import { useWritableDirectory } from './lambda-config.js';
import { createScheduledHandler } from './scheduled-handler.js';

/** The scheduled function's entry point: configuration and secrets are read at import, during the init phase. */
useWritableDirectory();
export const handler = createScheduledHandler({ env: process.env });
