import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager-compatible endpoint for tests: a real HTTP server answering
 * `GetSecretValue` in the service's AWS JSON 1.1 protocol, so that the AWS SDK's own
 * client, signer and deserialiser run unchanged against it. Other operations, unsigned
 * requests and unknown secrets get Secrets Manager's errors.
 */
export interface SecretsEndpoint {
  readonly url: string;
  /** Stores a secret string and returns its ARN. */
  put(name: string, value: string): string;
  /** GetSecretValue calls received. */
  reads(): number;
  close(): Promise<void>;
}

const JSON_11 = 'application/x-amz-json-1.1';
const TARGET = 'secretsmanager.GetSecretValue';
const SIGNED = /^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]+\/[0-9]{8}\/([a-z0-9-]+)\/secretsmanager\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

export async function startSecretsEndpoint(region = 'us-east-1', account = '123456789012'): Promise<SecretsEndpoint> {
  const secrets = new Map<string, string>();
  let reads = 0;

  function answer(res: ServerResponse, status: number, body: object, type?: string): void {
    res.writeHead(status, { 'content-type': JSON_11, ...(type ? { 'x-amzn-errortype': type } : {}) });
    res.end(JSON.stringify(type ? { __type: type, ...body } : body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!SIGNED.test(String(req.headers.authorization ?? ''))) return answer(res, 400, { message: 'Missing or malformed Authorization' }, 'IncompleteSignature');
    if (req.headers['x-amz-target'] !== TARGET) return answer(res, 400, { message: `Unsupported operation ${String(req.headers['x-amz-target'])}` }, 'UnknownOperationException');
    let body: { SecretId?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown };
    } catch {
      return answer(res, 400, { message: 'Malformed JSON' }, 'SerializationException');
    }
    reads++;
    const id = typeof body.SecretId === 'string' ? body.SecretId : '';
    const value = secrets.get(id);
    if (value === undefined) return answer(res, 400, { Message: "Secrets Manager can't find the specified secret." }, 'ResourceNotFoundException');
    answer(res, 200, { ARN: id, Name: id.split(':secret:')[1], SecretString: value, VersionId: '00000000-0000-4000-8000-000000000001', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put(name, value) {
      const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;
      secrets.set(arn, value);
      return arn;
    },
    reads: () => reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
