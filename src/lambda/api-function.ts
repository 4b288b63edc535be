import { createApiHandler } from './api-handler.js';
import { useWritableDirectory } from './lambda-config.js';

/** The API function's entry point: the cold start begins at import, during the function's init phase. */
useWritableDirectory();
export const handler = createApiHandler({ env: process.env });
