import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type ApiHandler, type ApiResult, createApiHandler } from '../src/lambda/api-handler.js';
import { createScheduledHandler } from '../src/lambda/scheduled-handler.js';
import { createScanners } from '../src/scanners/create-scanners.js';
import { type RunningService, startService } from '../src/server.js';
import { databases } from './support/databases.js';
import { basicFinding, digestOf, type EcrEndpoint, ecrClientEnv, startEcrEndpoint } from './support/ecr-endpoint/index.js';
import { type ApiRequest, httpApiEvent, lambdaContext } from './support/lambda-events.js';
import { schedulerEvent } from './support/schedule-events.js';
import { type SecretsEndpoint, startSecretsEndpoint } from './support/secrets-endpoint.js';

/**
 * The API function as API Gateway invokes it: AWS's sample HTTP API events, in process,
 * against a real PostgreSQL whose credentials, like the API token, come from a Secrets
 * Manager-compatible endpoint through the AWS SDK. The original demo's walkthrough goes
 * through the handler and through the service as `npm start` runs it, on the same
 * database, and both must answer alike.
 */

const TOKEN = 'lambda-walkthrough-token-0123456789';
const PUBLIC_URL = 'https://r3pmxmplak.execute-api.us-east-2.amazonaws.com';
const CENTOS_FINDINGS = [
  ...Array.from({ length: 7 }, (_, i) => basicFinding({ name: `CVE-2019-10${i}`, severity: 'HIGH', packageName: 'glibc', packageVersion: '2.17-292.el7' })),
  ...Array.from({ length: 20 }, (_, i) => basicFinding({ name: `CVE-2019-20${i}`, severity: 'MEDIUM', packageName: 'openssl', packageVersion: '1.0.2k-19.el7' })),
  ...Array.from({ length: 7 }, (_, i) => basicFinding({ name: `CVE-2019-30${i}`, severity: 'LOW', packageName: 'bash', packageVersion: '4.2.46-33.el7' })),
];
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Answer {
  /** Whether the function sent the body base64-encoded (never, for the text this API answers). */
  base64?: boolean;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const postgres = (await databases()).find((dialect) => dialect.name === 'postgres');

describe('the API function, with API Gateway HTTP API events, on PostgreSQL', { skip: postgres ? false : 'PostgreSQL is not available' }, () => {
  let ecr: EcrEndpoint;
  let secrets: SecretsEndpoint;
  let handler: ApiHandler;
  let server: RunningService;
  const ids: Record<string, string> = {};
  let databaseSecret: string;

  before(async () => {
    const databaseUrl = new URL(await postgres!.createDatabase());
    ecr = await startEcrEndpoint({ pollsUntilDone: 0 });
    ecr.addRepository('amazonlinux', [{ digest: digestOf('amazonlinux:2018.03'), tags: ['2018.03'], findings: [] }]);
    ecr.addRepository('test/centos', [{ digest: digestOf('centos:7'), tags: ['7'], findings: CENTOS_FINDINGS }]);
    ecr.addRepository('test/ubuntu', [
      { digest: digestOf('ubuntu:16.04'), tags: ['16.04'], findings: [basicFinding({ name: 'CVE-2016-1585', severity: 'MEDIUM', packageName: 'apparmor', packageVersion: '2.10.95-0ubuntu2' })] },
      { digest: digestOf('ubuntu:20.04'), tags: ['latest'], findings: [] },
    ]);
    secrets = await startSecretsEndpoint('us-east-2');
    // The AWS SDK reads these from the process, as it does in a function.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-2',
      ...ecrClientEnv(ecr),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    // The secret RDS writes for a cluster; the throwaway server trusts local connections, so any password does.
    databaseSecret = secrets.put('ecr-continuous-scan/database', JSON.stringify({
      engine: 'postgres',
      host: databaseUrl.hostname,
      port: Number(databaseUrl.port),
      username: decodeURIComponent(databaseUrl.username),
      password: 'generated-by-secrets-manager',
      dbname: databaseUrl.pathname.slice(1),
    }));
    const tokenSecret = secrets.put('ecr-continuous-scan/api-token', TOKEN);
    const env = { ECRSCAN_DATABASE_SECRET: databaseSecret, ECRSCAN_API_TOKEN_SECRET: tokenSecret, ECRSCAN_PUBLIC_URL: PUBLIC_URL, LOG_LEVEL: 'silent' };
    handler = createApiHandler({ env });
    await handler.ready();
    const config = loadConfig({ DATABASE_URL: databaseUrl.toString(), ECRSCAN_API_TOKEN: TOKEN, ECRSCAN_PUBLIC_URL: PUBLIC_URL, PORT: '0', ECRSCAN_MODE: 'api' });
    const logger = createLogger('silent');
    server = await startService(config, { logger, scanners: (store) => createScanners({ store, config, logger }) });
  });
  after(async () => {
    await (await handler?.ready())?.close();
    await server?.close();
    await ecr?.close();
    await secrets?.close();
  });

  async function viaLambda(request: ApiRequest): Promise<Answer> {
    const answer: ApiResult = await handler(httpApiEvent(request), lambdaContext('ecr-continuous-scan-ApiFunction'));
    const body = answer.isBase64Encoded ? Buffer.from(answer.body, 'base64').toString('utf8') : answer.body;
    const headers = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
    return { base64: answer.isBase64Encoded === true, status: answer.statusCode, headers, body };
  }

  async function viaServer(request: ApiRequest): Promise<Answer> {
    const response = await fetch(`${server.url}${request.url}`, {
      method: request.method,
      headers: { accept: '*/*', 'user-agent': 'curl/8.5.0', ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  }

  /** The request through both; they must agree on status, media type, the headers that matter, and body. */
  async function both(request: ApiRequest): Promise<Answer> {
    const [lambda, direct] = [await viaLambda(request), await viaServer(request)];
    assert.equal(lambda.status, direct.status, `${request.method} ${request.url}: status`);
    for (const header of ['content-type', 'location', 'www-authenticate', 'allow']) {
      assert.equal(lambda.headers[header], direct.headers[header], `${request.method} ${request.url}: ${header}`);
    }
    assert.equal(lambda.body, direct.body, `${request.method} ${request.url}: body`);
    assert.equal(lambda.base64, false, `${request.method} ${request.url}: text is not sent base64-encoded`);
    return lambda;
  }

  async function register(body: object, base64: boolean): Promise<string> {
    const answer = await viaLambda({ method: 'POST', url: '/configs/', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body), base64 });
    assert.equal(answer.status, 201, answer.body);
    const id = (JSON.parse(answer.body) as { id: string }).id;
    assert.match(answer.headers.location ?? '', new RegExp(`/configs/${id}$`));
    // The Location answers, through the function too.
    const location = new URL(answer.headers.location!, PUBLIC_URL);
    assert.equal((await viaLambda({ method: 'GET', url: location.pathname, headers: AUTH })).status, 200);
    return id;
  }

  it('registers configurations from plain and base64-encoded bodies, with their Location', async () => {
    ids.amazonlinux = await register({ region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] }, false);
    ids.centos = await register({ region: 'us-west-2', registry: '123456789012', repository: 'test/centos' }, true);
    ids.ubuntu = await register({ region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu', tags: ['16.04', 'latest'] }, true);
    const listed = await both({ method: 'GET', url: '/configs/', headers: AUTH });
    assert.equal(listed.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual((JSON.parse(listed.body) as Array<{ repository: string }>).map((config) => config.repository).sort(), ['amazonlinux', 'test/centos', 'test/ubuntu']);
  });

  it('serves the demo text summary and Atom feeds once the scheduled function has scanned', async () => {
    const scheduled = createScheduledHandler({ env: { ECRSCAN_DATABASE_SECRET: databaseSecret, LOG_LEVEL: 'silent' } });
    const report = await scheduled(schedulerEvent(), lambdaContext('ecr-continuous-scan-ScheduledFunction', 60_000));
    assert.equal(report.scans, 3);
    const summary = await both({ method: 'GET', url: '/summary', headers: AUTH });
    assert.equal(summary.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(
      summary.body,
      'Results for amazonlinux:2018.03 in us-west-2:\n\n' +
        'Results for test/centos:7 in us-west-2:\n HIGH: 7\n MEDIUM: 20\n LOW: 7\n\n' +
        'Results for test/ubuntu:16.04 in us-west-2:\n MEDIUM: 1\n\n' +
        'Results for test/ubuntu:latest in us-west-2:\n',
    );
    const feed = await both({ method: 'GET', url: `/findings/${ids.ubuntu}`, headers: AUTH });
    assert.match(feed.headers['content-type'] ?? '', /^application\/atom\+xml/);
    const document = new DOMParser().parseFromString(feed.body, 'application/xml');
    const titles = Array.from(document.getElementsByTagName('entry')).map((entry) => entry.getElementsByTagName('title')[0]?.textContent);
    assert.deepEqual(titles, ['[MEDIUM] in image test/ubuntu:16.04 found CVE-2016-1585']);
    const json = await both({ method: 'GET', url: `/findings/${ids.centos}?format=json`, headers: AUTH });
    assert.equal((JSON.parse(json.body) as { findings: unknown[] }).findings.length, 34);
  });

  it('answers unknown configurations, bad input and missing tokens with problem documents', async () => {
    const unknownFeed = await both({ method: 'GET', url: '/findings/4471c156-29f5-40fe-883b-3cd26738d5a6', headers: AUTH });
    assert.equal(unknownFeed.status, 404);
    assert.equal(unknownFeed.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((JSON.parse(unknownFeed.body) as { status: number }).status, 404);
    assert.equal((await both({ method: 'DELETE', url: '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6', headers: AUTH })).status, 404);
    assert.equal((await both({ method: 'DELETE', url: '/configs/not-a-uuid', headers: AUTH })).status, 404);
    const invalid = await both({ method: 'POST', url: '/configs/', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"region":"us-west-2","registry":"123456789012","repository":"UPPER"}' });
    assert.equal(invalid.status, 400);
    assert.equal((JSON.parse(invalid.body) as { field?: string }).field, 'repository');
    assert.equal((await both({ method: 'POST', url: '/configs/', headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'hello' })).status, 415);
    const anonymous = await both({ method: 'GET', url: '/summary' });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers['www-authenticate'] ?? '', /Bearer/);
    assert.equal((await both({ method: 'PUT', url: `/configs/${ids.amazonlinux}`, headers: AUTH })).status, 405);
  });

  it('removes a configuration as the demo does', async () => {
    const removed = await viaLambda({ method: 'DELETE', url: `/configs/${ids.amazonlinux}`, headers: AUTH });
    assert.equal(removed.status, 204);
    assert.equal(removed.body, '');
    assert.equal((await both({ method: 'GET', url: `/configs/${ids.amazonlinux}`, headers: AUTH })).status, 404);
    // Two at the API function's cold start, one at the scheduled function's.
    assert.equal(secrets.reads(), 3, 'the secrets are read once per cold start');
  });

  it('answers 503 with a problem document while it cannot start, and starts once it can', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:ecr-continuous-scan/not-yet-AbCdEf';
    const lines: string[] = [];
    const log = new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString('utf8')), done()) });
    const failing = createApiHandler({ env: { ECRSCAN_DATABASE_SECRET: missing, LOG_LEVEL: 'silent' }, logDestination: log });
    const answer = await failing(httpApiEvent({ method: 'GET', url: '/summary?format=json', headers: AUTH }), lambdaContext('f'));
    assert.equal(answer.statusCode, 503);
    assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = JSON.parse(answer.body) as Record<string, unknown>;
    assert.deepEqual({ ...problem, detail: undefined }, { type: 'urn:ecrscan:problem:not-ready', title: 'Service not ready', status: 503, detail: undefined, instance: '/summary?format=json' });
    assert.doesNotMatch(answer.body, /at [a-zA-Z.]+ \(/, 'no stack trace');
    assert.match(lines.join(''), /"msg":"cold start failed"/);
    // The secret appears: the next request starts the function.
    const url = new URL(await postgres!.createDatabase());
    secrets.put('ecr-continuous-scan/not-yet', JSON.stringify({ host: url.hostname, port: Number(url.port), username: 'postgres', password: 'trusted', dbname: url.pathname.slice(1) }));
    const healthy = await failing(httpApiEvent({ method: 'GET', url: '/healthz' }), lambdaContext('f'));
    assert.equal(healthy.statusCode, 200);
    await (await failing.ready()).close();
  });
});
