import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { OPERATIONS, type OperationContext } from './ecr-operations.js';
import { EcrState, type ImageSpec, type ImageState, type ScanType } from './ecr-registry-state.js';
import { EcrWireError, JSON_11, type JsonObject, TARGET_PREFIX, isObject } from './ecr-wire.js';

/**
 * An ECR-compatible endpoint for tests: a real HTTP server speaking ECR's AWS JSON 1.1
 * protocol, so that the AWS SDK's own client, signer, retry logic and deserialisers
 * run unchanged against it. Faults (throttling bursts, latency, hangs, garbage) are
 * switched on through the returned handle.
 */

export interface EcrEndpointOptions {
  /** The account the test credentials belong to (the default registry). */
  accountId?: string;
  /** Delay added before every answer, like a distant region. */
  latencyMs?: number;
  /** Largest page the endpoint returns, whatever `maxResults` asks for. */
  pageSize?: number;
  /** How many polls a basic scan stays IN_PROGRESS for, unless the image says otherwise. */
  pollsUntilDone?: number;
  /** Access key ids the endpoint accepts; any when absent. */
  accessKeyIds?: string[];
  now?: () => Date;
}

/** `hang`: never answers. `garbage`: 200 with an HTML page. `truncated`: 200 with cut-off JSON. */
export type EndpointMode = 'normal' | 'hang' | 'garbage' | 'truncated';

export interface InjectedFault {
  /** Only calls of this operation fail; any operation when absent. */
  operation?: string;
  type?: string;
  message?: string;
  httpStatus?: number;
}

export interface EcrEndpoint {
  readonly url: string;
  readonly accountId: string;
  readonly state: EcrState;
  addRepository(name: string, images: ImageSpec[], accountId?: string): void;
  deleteTag(repository: string, tag: string, accountId?: string): void;
  /** Removes a repository with its images, as `DeleteRepository` with `force` does. */
  deleteRepository(repository: string, accountId?: string): void;
  setScanType(scanType: ScanType, accountId?: string): void;
  /** Every call naming this registry answers AccessDeniedException. */
  denyAccess(accountId: string): void;
  /** The next `count` matching calls answer this error (default: ThrottlingException, 400). */
  failNext(count: number, fault?: InjectedFault): void;
  setLatency(ms: number): void;
  setMode(mode: EndpointMode): void;
  image(repository: string, digest: string, accountId?: string): ImageState | undefined;
  /** Calls received for one operation, or in total. */
  callCount(operation?: string): number;
  resetCalls(): void;
  close(): Promise<void>;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/([0-9]{8})\/([a-z0-9-]+)\/([a-z0-9]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;
const MAX_BODY_BYTES = 1024 * 1024;

export async function startEcrEndpoint(options: EcrEndpointOptions = {}): Promise<EcrEndpoint> {
  const accountId = options.accountId ?? '123456789012';
  const state = new EcrState();
  state.registry(accountId);
  const calls = new Map<string, number>();
  const faults: (InjectedFault & { left: number })[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let mode: EndpointMode = 'normal';
  const now = options.now ?? (() => new Date());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '(none)';
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    if (mode === 'hang') return;
    if (latencyMs > 0) await delay(latencyMs);
    if (mode === 'garbage') return sendRaw(res, 200, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
    if (mode === 'truncated') return sendRaw(res, 200, JSON_11, '{"imageIds":[{"imageDigest":"sha256:');
    try {
      const region = authorise(req, options.accessKeyIds);
      if (req.method !== 'POST' || req.headers['content-type'] !== JSON_11) {
        throw new EcrWireError('SerializationException', `Expected a POST with Content-Type ${JSON_11}`);
      }
      const run = OPERATIONS[operation];
      if (!run) throw new EcrWireError('UnknownOperationException', `Unknown operation ${String(target)}`);
      takeFault(faults, operation);
      const ctx: OperationContext = {
        state,
        callerAccount: accountId,
        region,
        now: now(),
        pageCap: options.pageSize ?? 1000,
        defaultPollsUntilDone: options.pollsUntilDone ?? 1,
      };
      sendJson(res, 200, run(ctx, parseBody(raw)));
    } catch (err) {
      const wire = err instanceof EcrWireError ? err : new EcrWireError('ServerException', 'Internal error', 500);
      sendJson(res, wire.httpStatus, { __type: wire.type, message: wire.message }, wire.type);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accountId,
    state,
    addRepository: (name, images, account = accountId) => void state.addRepository(account, name, images, now()),
    deleteTag: (repository, tag, account = accountId) => state.deleteTag(account, repository, tag),
    deleteRepository: (repository, account = accountId) => void state.registries.get(account)?.repositories.delete(repository),
    setScanType: (scanType, account = accountId) => void (state.registry(account).scanType = scanType),
    denyAccess: (account) => void (state.registry(account).denied = true),
    failNext: (count, fault = {}) => void faults.push({ ...fault, left: count }),
    setLatency: (ms) => void (latencyMs = ms),
    setMode: (next) => void (mode = next),
    image: (repository, digest, account = accountId) => state.registries.get(account)?.repositories.get(repository)?.images.get(digest),
    callCount: (operation) => (operation ? (calls.get(operation) ?? 0) : [...calls.values()].reduce((a, b) => a + b, 0)),
    resetCalls: () => calls.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Checks the SigV4 Authorization header's shape and scope, and returns the signed region. */
function authorise(req: IncomingMessage, accessKeyIds: string[] | undefined): string {
  const header = req.headers.authorization;
  if (!header) throw new EcrWireError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(header);
  if (!match || !req.headers['x-amz-date']) {
    throw new EcrWireError('IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature');
  }
  const [, accessKeyId = '', , region = '', service] = match;
  if (service !== 'ecr') {
    throw new EcrWireError('InvalidSignatureException', `Credential should be scoped to correct service: 'ecr'.`);
  }
  if (accessKeyIds && !accessKeyIds.includes(accessKeyId)) {
    throw new EcrWireError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  return region;
}

function takeFault(faults: (InjectedFault & { left: number })[], operation: string): void {
  const fault = faults.find((f) => f.left > 0 && (f.operation === undefined || f.operation === operation));
  if (!fault) return;
  fault.left -= 1;
  throw new EcrWireError(fault.type ?? 'ThrottlingException', fault.message ?? 'Rate exceeded', fault.httpStatus ?? 400);
}

function parseBody(raw: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw === '' ? '{}' : raw);
  } catch {
    throw new EcrWireError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (!isObject(parsed)) throw new EcrWireError('SerializationException', 'Request body must be a JSON object');
  return parsed;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: JsonObject, errorType?: string): void {
  if (errorType) res.setHeader('x-amzn-ErrorType', errorType);
  sendRaw(res, status, JSON_11, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(body);
}
