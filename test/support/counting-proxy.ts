import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryServer } from './registry-server.js';

/** A proxy in front of the reference registry that logs every request going through it. */
export interface CountingProxy {
  /** `127.0.0.1:<port>`: the registry host configurations name. */
  host: string;
  /** `METHOD path` of every request so far, in order. */
  requests: string[];
  /** Blob downloads (`GET …/blobs/sha256:…`) so far. */
  blobGets(): number;
  close(): Promise<void>;
}

export async function startCountingProxy(target: RegistryServer): Promise<CountingProxy> {
  const [targetHost, targetPort] = target.host.split(':');
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    blobGets: () => requests.filter((line) => /^GET \/v2\/.+\/blobs\/sha256:/.test(line)).length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
