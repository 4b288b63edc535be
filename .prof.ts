import { performance } from 'node:perf_hooks';
import { benchAdvisoryMatch } from './bench/advisory-match.bench.js';
import * as store from './src/scanners/builtin/osv/advisory-store.js';
const orig = store.createAdvisoryLookup;
const t = Date.now();
console.log(await benchAdvisoryMatch(), 'total', Date.now() - t);
