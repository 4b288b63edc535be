import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { openStore } from '../src/store/open-store.js';
import { createTestService, type TestService, type TestServiceOptions } from './support/test-service.js';

// What a client can put on the wire that `inject` cannot: unparsable requests, repeated
// headers, and Host headers that name someone else.

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends bytes as they are and reads the answer until the server closes or answers in full. */
function rawRequest(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no answer: ${JSON.stringify(text)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? Number.NaN);
      const body = text.slice(split + 4);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: Number.isNaN(length) ? body : body.slice(0, length) });
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *([0-9]+)/i.exec(text)?.[1];
      if (split >= 0 && length !== undefined && Buffer.byteLength(text.slice(split + 4)) >= Number(length)) {
        socket.destroy();
        done();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (chunks.length > 0 ? done() : reject(new Error('closed without an answer'))));
    socket.write(bytes);
  });
}

function assertProblem(answer: RawAnswer, status: number): void {
  assert.equal(answer.status, status, answer.body);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = JSON.parse(answer.body);
  assert.equal(problem.status, status);
  assert.match(problem.type, /^urn:ecrscan:problem:[a-z-]+$/);
  assert.ok(problem.detail.length > 0);
}

async function listening(options: TestServiceOptions = {}): Promise<{ service: TestService; port: number }> {
  const service = await createTestService(await openStore(':memory:'), options);
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const address = service.app.server.address();
  assert.ok(address && typeof address === 'object');
  return { service, port: address.port };
}

const CONFIG = JSON.stringify({ registry: 'registry.example:5000', repository: 'acme/app' });

function feedLinks(xml: string): string[] {
  const feed = new DOMParser().parseFromString(xml, 'application/xml');
  return Array.from(feed.getElementsByTagName('link')).map((link) => link.getAttribute('href') ?? '');
}

describe('raw HTTP answers', () => {
  let service: TestService;
  let port: number;
  before(async () => ({ service, port } = await listening()));
  after(() => service.close());

  it('answers an unknown method, and CONNECT, with a 501 problem', async () => {
    assertProblem(await rawRequest(port, 'FOO /configs/ HTTP/1.1\r\nHost: a\r\n\r\n'), 501);
    assertProblem(await rawRequest(port, 'CONNECT internal.example:443 HTTP/1.1\r\nHost: internal.example:443\r\n\r\n'), 501);
  });

  it('answers an expectation it does not meet with a 417 problem', async () => {
    assertProblem(await rawRequest(port, 'GET /configs/ HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n'), 417);
  });

  it('answers a request that does not parse with a 400 problem', async () => {
    assertProblem(await rawRequest(port, 'GET /configs/ HTTP/1.1\r\nHost: a\r\nno colon in this header\r\n\r\n'), 400);
    const smuggled = 'POST /configs/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
    assertProblem(await rawRequest(port, smuggled), 400);
  });

  it('answers headers over the limit, a long path included, with a 431 problem', async () => {
    assertProblem(await rawRequest(port, `GET /configs/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`), 431);
    assertProblem(await rawRequest(port, `GET /configs/ HTTP/1.1\r\nHost: a\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
  });

  it('refuses two Host headers, or none, with a 400 problem', async () => {
    assertProblem(await rawRequest(port, 'GET /configs/ HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n'), 400);
    assertProblem(await rawRequest(port, 'GET /configs/ HTTP/1.1\r\nConnection: close\r\n\r\n'), 400);
    assert.equal((await rawRequest(port, 'GET /configs/ HTTP/1.0\r\n\r\n')).status, 200, 'HTTP/1.0 has no Host to require');
    assert.equal((await rawRequest(port, 'GET /configs/ HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n')).status, 200);
  });

  it('builds feed links on the address the connection reached, whatever Host says', async () => {
    const created = await service.app.inject({ method: 'POST', url: '/configs/', headers: { 'content-type': 'application/json' }, payload: CONFIG });
    const id = created.json().id;
    for (const path of [`/findings/${id}?limit=5`, `/findings/${id}/events`]) {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: attacker.example\r\nX-Forwarded-Host: attacker.example\r\nConnection: close\r\n\r\n`);
      assert.equal(answer.status, 200, answer.body);
      const links = feedLinks(answer.body).filter((href) => href.includes('/findings/'));
      assert.ok(links.length > 0, path);
      for (const href of links) assert.ok(href.startsWith(`http://127.0.0.1:${port}/findings/${id}`), href);
      assert.doesNotMatch(answer.body, /attacker/);
    }
  });
});

describe('feed links behind a proxy', () => {
  it('uses ECRSCAN_PUBLIC_URL when it is set', async () => {
    const { service, port } = await listening({ publicUrl: 'https://scan.example.com/api' });
    try {
      const id = (await service.app.inject({ method: 'POST', url: '/configs/', headers: { 'content-type': 'application/json' }, payload: CONFIG })).json().id;
      const answer = await rawRequest(port, `GET /findings/${id} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n`);
      assert.ok(feedLinks(answer.body).includes(`https://scan.example.com/api/findings/${id}`), answer.body);
    } finally {
      await service.close();
    }
  });

  it('believes X-Forwarded-Host only from a trusted proxy', async () => {
    for (const [trustedProxies, expected] of [
      [['127.0.0.0/8'], 'https://public.example'],
      [['10.0.0.0/8', '::1'], null],
    ] as const) {
      const { service, port } = await listening({ trustedProxies: [...trustedProxies] });
      try {
        const id = (await service.app.inject({ method: 'POST', url: '/configs/', headers: { 'content-type': 'application/json' }, payload: CONFIG })).json().id;
        const request =
          `GET /findings/${id} HTTP/1.1\r\nHost: attacker.example\r\nX-Forwarded-Host: public.example\r\n` + 'X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n';
        const self = feedLinks((await rawRequest(port, request)).body).find((href) => href.includes('/findings/'));
        assert.equal(self, `${expected ?? `http://127.0.0.1:${port}`}/findings/${id}`, trustedProxies.join());
      } finally {
        await service.close();
      }
    }
  });
});
