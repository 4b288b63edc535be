import { benchAdvisoryMatch } from './advisory-match.bench.js';
import { benchAdvisoryRematch } from './advisory-rematch.bench.js';
import { benchApi } from './api.bench.js';
import { benchAuth } from './auth.bench.js';
import { benchBuiltinScan } from './builtin-scan.bench.js';
import { benchBusyApi } from './busy-api.bench.js';
import { benchCliImage } from './cli-image.bench.js';
import { benchDashboard } from './dashboard.bench.js';
import { benchEcosystemInventory } from './ecosystem-inventory.bench.js';
import { benchEventLog } from './event-log.bench.js';
import { benchHostileScan } from './hostile-scan.bench.js';
import { benchImagePull } from './image-scan.bench.js';
import { benchLambda } from './lambda.bench.js';
import { benchPostgres } from './postgres.bench.js';
import { benchPrioritisation } from './prioritisation.bench.js';
import { benchRepositorySelection } from './repository-selection.bench.js';
import { benchScanLatency } from './scan-latency.bench.js';
import { benchSchedulerCycle } from './scheduler-cycle.bench.js';
import { benchSqliteSync } from './sqlite-sync.bench.js';
import { benchSuppressions } from './suppressions.bench.js';
import { benchWebhooks } from './webhooks.bench.js';
import { type BenchRow, renderTables } from './support/table.js';

/**
 * `npm run bench` runs every benchmark below; `npm run bench -- NAME…` runs those named.
 * Each is listed here explicitly, by name, and returns rows of figures that are printed
 * as tables at the end (the figures recorded in bench/README.md come from this output).
 */
const BENCHMARKS: Record<string, () => Promise<readonly BenchRow[]>> = {
  api: benchApi,
  'advisory-match': benchAdvisoryMatch,
  'advisory-rematch': benchAdvisoryRematch,
  'image-scan': async () =>
    (await benchImagePull()).map(({ name, ms, target, ratio, peakRssMiB, baselineRssMiB, compressedMiB }) => ({
      name,
      ms,
      target,
      ratio: ratio ?? null,
      peakRssMiB: peakRssMiB ?? null,
      baselineRssMiB: baselineRssMiB ?? null,
      compressedMiB: compressedMiB ?? null,
    })),
  'builtin-scan': benchBuiltinScan,
  'cli-image': benchCliImage,
  'ecosystem-inventory': benchEcosystemInventory,
  'scan-latency': benchScanLatency,
  'scheduler-cycle': benchSchedulerCycle,
  'event-log': benchEventLog,
  postgres: benchPostgres,
  prioritisation: benchPrioritisation,
  webhooks: benchWebhooks,
  auth: benchAuth,
  'sqlite-sync': benchSqliteSync,
  'hostile-scan': benchHostileScan,
  'repository-selection': benchRepositorySelection,
  'busy-api': benchBusyApi,
  lambda: benchLambda,
  suppressions: benchSuppressions,
  dashboard: benchDashboard,
};

interface Outcome {
  name: string;
  rows: readonly BenchRow[];
  error: string | null;
}

function selectBenchmarks(args: string[]): string[] {
  const names = args.filter((arg) => arg !== '--');
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    process.exit(2);
  }
  return names.length > 0 ? names : Object.keys(BENCHMARKS);
}

async function runBenchmark(name: string): Promise<Outcome> {
  const benchmark = BENCHMARKS[name];
  if (!benchmark) return { name, rows: [], error: 'not a benchmark' };
  process.stderr.write(`\n# ${name}\n`);
  const started = Date.now();
  try {
    const rows = await benchmark();
    process.stderr.write(`${name} finished in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return { name, rows, error: null };
  } catch (err) {
    return { name, rows: [], error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

const outcomes: Outcome[] = [];
for (const name of selectBenchmarks(process.argv.slice(2))) outcomes.push(await runBenchmark(name));

for (const outcome of outcomes) {
  process.stdout.write(`\n## ${outcome.name}\n\n`);
  process.stdout.write(outcome.error === null ? renderTables(outcome.rows) : `failed: ${outcome.error}\n`);
}
if (outcomes.some((outcome) => outcome.error !== null)) process.exitCode = 1;
