import { fileURLToPath } from 'node:url';

/** The project's root directory. */
export const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** Where benchmarks keep what they make (seeded databases, builds); ignored by git. */
export const BENCH_DATA_DIR = `${PROJECT_DIR}.bench`;
