import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleLambda } from '../deploy/aws/lambda-bundle.js';
import { createApiHandler } from '../src/lambda/api-handler.js';
import { openStore } from '../src/store/open-store.js';
import { httpApiEvent, lambdaContext } from '../test/support/lambda-events.js';
import { startSecretsEndpoint } from '../test/support/secrets-endpoint.js';
import { startBenchPostgres } from './support/bench-postgres.js';
import { median } from './support/measure.js';
import { BENCH_DATA_DIR } from './support/paths.js';
import { syntheticFindings } from './support/synthetic-findings.js';
import type { BenchRow } from './support/table.js';

/**
 * The API function: its cold start, from importing the deployed bundle (the one the stack
 * ships, built here with the same esbuild settings) to its first answered request, in a
 * fresh process each time, with the secrets read from a Secrets Manager-compatible
 * endpoint and a real PostgreSQL; and the warm cost of the Lambda adapter, the same
 * `GET /findings/{id}` (an Atom page of 100 findings) through the handler with an API
 * Gateway event against `app.inject` on the same app, alternating in one process.
 */

const COLD_RUNS = 5;
// Short rounds, alternating, so that the load of a shared machine falls on both sides alike.
const WARM_ROUNDS = 20;
const WARM_REQUESTS = 100;
const FINDINGS = 100;
const MAX_COLD_MS = 1000;
const MAX_OVERHEAD = 1.2;
const TOKEN = 'bench-lambda-token-0123456789abcdef';

const run = promisify(execFile);

// The child's whole job: import the bundle, answer one event, say how long each took.
const COLD_START_SCRIPT = `
const started = performance.now();
const cpu = process.cpuUsage();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
const answer = await handler(JSON.parse(process.env.BENCH_EVENT), JSON.parse(process.env.BENCH_CONTEXT));
const answered = performance.now();
const used = process.cpuUsage(cpu);
if (answer.statusCode !== 200) throw new Error('cold start answered ' + answer.statusCode + ': ' + answer.body);
process.stdout.write(JSON.stringify({ importMs: imported - started, totalMs: answered - started, cpuMs: (used.user + used.system) / 1000 }));
process.exit(0);
`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function benchLambda(): Promise<BenchRow[]> {
  const postgres = await startBenchPostgres();
  const secrets = await startSecretsEndpoint('us-east-2');
  const bundleDir = join(BENCH_DATA_DIR, 'lambda-bundle');
  try {
    const databaseUrl = new URL(await postgres.createDatabase('bench_lambda'));
    const configId = await seed(databaseUrl.toString());
    const databaseSecret = secrets.put('bench/database', JSON.stringify({ host: databaseUrl.hostname, port: Number(databaseUrl.port), username: 'postgres', password: 'trusted', dbname: 'bench_lambda' }));
    const tokenSecret = secrets.put('bench/token', TOKEN);
    const functionEnv = {
      ECRSCAN_DATABASE_SECRET: databaseSecret,
      ECRSCAN_API_TOKEN_SECRET: tokenSecret,
      ECRSCAN_PUBLIC_URL: 'https://r3pmxmplak.execute-api.us-east-2.amazonaws.com',
      DATABASE_POOL_SIZE: '2',
      LOG_LEVEL: 'warn',
      AWS_REGION: 'us-east-2',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const request = { method: 'GET', url: `/findings/${configId}`, headers: { authorization: `Bearer ${TOKEN}` } };

    await rm(bundleDir, { recursive: true, force: true });
    await mkdir(bundleDir, { recursive: true });
    const bundleStarted = performance.now();
    bundleLambda(bundleDir);
    log(`bundled in ${Math.round(performance.now() - bundleStarted)} ms`);

    const cold: Array<{ importMs: number; totalMs: number; cpuMs: number }> = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const profile = process.env.BENCH_CPU_PROF?.trim() ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF.trim()}`] : [];
      const { stdout } = await run(process.execPath, [...profile, '--input-type=module', '-e', COLD_START_SCRIPT], {
        cwd: bundleDir,
        env: {
          PATH: process.env.PATH ?? '',
          ...functionEnv,
          BENCH_BUNDLE: join(bundleDir, 'api-function.js'),
          BENCH_EVENT: JSON.stringify(httpApiEvent(request)),
          BENCH_CONTEXT: JSON.stringify({ functionName: 'bench', awsRequestId: `cold-${i}` }),
        },
      });
      cold.push(JSON.parse(stdout) as { importMs: number; totalMs: number; cpuMs: number });
      log(`cold start ${i + 1}: ${Math.round(cold[i]!.totalMs)} ms (import ${Math.round(cold[i]!.importMs)} ms, CPU ${Math.round(cold[i]!.cpuMs)} ms)`);
    }

    // Warm: the handler from the sources, in this process; the adapter against inject on its own app.
    Object.assign(process.env, { AWS_REGION: 'us-east-2', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: functionEnv.AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url });
    const handler = createApiHandler({ env: { ...functionEnv, LOG_LEVEL: 'silent' } });
    const app = await handler.ready();
    const context = lambdaContext('bench');
    const viaInject = async (): Promise<void> => {
      const response = await app.inject({ method: 'GET', url: request.url, headers: { ...request.headers, accept: '*/*', host: 'r3pmxmplak.execute-api.us-east-2.amazonaws.com' } });
      if (response.statusCode !== 200) throw new Error(`inject answered ${response.statusCode}`);
    };
    // API Gateway builds the event, not the function: built once, outside the timing.
    const event = httpApiEvent(request);
    const viaAdapter = async (): Promise<void> => {
      const answer = await handler(event, context);
      if (answer.statusCode !== 200) throw new Error(`the adapter answered ${answer.statusCode}`);
    };
    const time = async (fn: () => Promise<void>): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < WARM_REQUESTS; i++) await fn();
      return (performance.now() - started) / WARM_REQUESTS;
    };
    await time(viaInject);
    await time(viaAdapter);
    const injectMs: number[] = [];
    const adapterMs: number[] = [];
    for (let round = 0; round < WARM_ROUNDS; round++) {
      injectMs.push(await time(viaInject));
      adapterMs.push(await time(viaAdapter));
    }
    await app.close();
    const coldMs = median(cold.map((figures) => figures.totalMs));
    const overhead = median(adapterMs) / median(injectMs);
    return [
      { name: 'API function cold start: bundle import → first answer (median of 5)', ms: round(coldMs), target: `≤ ${MAX_COLD_MS} ms`, ratio: null, met: coldMs <= MAX_COLD_MS },
      { name: '… of which the import', ms: round(median(cold.map((figures) => figures.importMs))), target: '', ratio: null, met: null },
      { name: '… CPU time of the cold start (user + system)', ms: round(median(cold.map((figures) => figures.cpuMs))), target: '', ratio: null, met: null },
      { name: `GET /findings/{id} (${FINDINGS} findings, Atom) through app.inject`, ms: round(median(injectMs), 3), target: '', ratio: null, met: null },
      { name: 'the same through the Lambda adapter with an HTTP API event', ms: round(median(adapterMs), 3), target: `≤ ${MAX_OVERHEAD}× inject`, ratio: round(overhead, 3), met: overhead <= MAX_OVERHEAD },
    ];
  } finally {
    await secrets.close();
    await postgres.stop();
  }
}

/** One configuration whose one image has FINDINGS findings; its id. */
async function seed(databaseUrl: string): Promise<string> {
  const store = await openStore(databaseUrl);
  try {
    const now = new Date();
    const config = await store.createConfig({ region: 'us-west-2', registry: '123456789012', repository: 'bench/lambda', tags: ['latest'], schedule: null, scanner: 'ecr', platform: null }, now);
    const [claim] = await store.claimDueScans('bench', now, 60_000, 1);
    if (!claim) throw new Error('the seeded configuration was not due');
    const findings = syntheticFindings(Array.from({ length: FINDINGS }, (_, i) => i));
    await store.commitScan({
      configId: config.id,
      runId: claim.runId,
      owner: 'bench',
      finishedAt: now,
      images: [{ tag: 'latest', digest: `sha256:${'1'.repeat(64)}`, status: 'COMPLETE', error: null, scanner: 'ecr', findings }],
      status: 'COMPLETE',
      error: null,
      nextScanAt: new Date(now.getTime() + 86_400_000),
    });
    return config.id;
  } finally {
    await store.close();
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
