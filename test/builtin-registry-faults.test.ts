import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { LayerError } from '../src/scanners/builtin/layers/layer-error.js';
import { envCredentials, envPrefixFor } from '../src/scanners/builtin/registry/credentials.js';
import { createRegistryClient, type RegistryClientOptions, type RepositoryRef } from '../src/scanners/builtin/registry/registry-client.js';
import { RegistryError } from '../src/scanners/builtin/registry/registry-error.js';
import { addImage, emptyContent, parseRegistryPath, serveContent, type FakeRegistryContent } from './support/fake-registry.js';
import { sendRegistryError, startHttpServer, type Handler, type TestHttpServer } from './support/http-server.js';
import { blobOf, buildImage, buildLayer, type BuiltImage } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS } from './support/package-fixtures.js';

/**
 * A registry that misbehaves in one precise way per test, in front of content a real
 * registry would serve. Every failure must fail the image alone, clearly and in bounded time.
 */
describe('a hostile or failing registry', () => {
  let server: TestHttpServer;
  let other: TestHttpServer;
  let content: FakeRegistryContent;
  let image: BuiltImage;
  let repo: RepositoryRef;

  before(async () => {
    image = buildImage([await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS }])]);
    content = emptyContent();
    addImage(content, 'v1', image);
    server = await startHttpServer((req, res) => serveContent(content, req, res));
    other = await startHttpServer((req, res) => serveContent(content, req, res));
    repo = { registry: server.host, repository: 'app' };
  });

  beforeEach(() => {
    server.requests.length = 0;
    other.requests.length = 0;
    server.handle((req, res) => serveContent(content, req, res));
  });

  after(async () => {
    await server.close();
    await other.close();
  });

  function client(options: RegistryClientOptions = {}) {
    return createRegistryClient({ insecureHosts: [server.host], retry: { attempts: 3, baseDelayMs: 5 }, timeouts: { requestMs: 2000, idleMs: 2000 }, ...options });
  }

  /** Serves content normally except where `override` answers (returns true). */
  function intercept(override: (path: ReturnType<typeof parseRegistryPath>, ...args: Parameters<Handler>) => boolean | Promise<boolean>): void {
    server.handle(async (req, res) => {
      if (!(await override(parseRegistryPath(req), req, res))) serveContent(content, req, res);
    });
  }

  const layerDigest = (): string => image.layers[0]?.digest ?? '';

  it('serves the untouched image (the baseline every case departs from)', async () => {
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    const inventory = await analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers });
    assert.equal(inventory.packages.length, 6);
  });

  it('fails a tampered blob on its digest', async () => {
    intercept((path, _req, res) => {
      if (path?.kind !== 'blobs' || path.reference !== layerDigest()) return false;
      const tampered = Buffer.from(image.layers[0]?.bytes ?? []);
      tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff;
      res.writeHead(200, { 'content-length': tampered.length });
      res.end(tampered);
      return true;
    });
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    await assert.rejects(
      analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers }),
      // Whichever notices first: the digest at the blob's end, or gzip's own checksum.
      (err: unknown) => (err instanceof RegistryError && err.kind === 'digest-mismatch') || (err instanceof LayerError && err.kind === 'malformed'),
    );
  });

  it('fails a blob whose bytes hash wrong even when the archive reads fine', async () => {
    const other = await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }]);
    intercept((path, _req, res) => {
      if (path?.kind !== 'blobs' || path.reference !== layerDigest()) return false;
      res.writeHead(200);
      res.end(other.bytes);
      return true;
    });
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    const layers = resolved.layers.map((layer) => ({ ...layer, size: other.size }));
    await assert.rejects(analyseImage({ blobs: registryBlobs(c, repo), layers }), (err: unknown) => err instanceof RegistryError && err.kind === 'digest-mismatch' && err.message.includes(layerDigest()));
  });

  it('fails a blob longer than its descriptor says', async () => {
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    const layers = resolved.layers.map((layer) => ({ ...layer, size: layer.size - 100 }));
    await assert.rejects(analyseImage({ blobs: registryBlobs(c, repo), layers }), /more bytes arrived than the/);
  });

  it('fails a manifest whose Docker-Content-Digest does not match, and one fetched by a digest it does not hash to', async () => {
    const forged = `sha256:${'0'.repeat(64)}`;
    intercept((path, _req, res) => {
      if (path?.kind !== 'manifests') return false;
      res.writeHead(200, { 'content-type': image.manifest.mediaType, 'docker-content-digest': forged });
      res.end(image.manifest.bytes);
      return true;
    });
    await assert.rejects(client().resolveImage(repo, 'v1'), (err: unknown) => err instanceof RegistryError && err.kind === 'digest-mismatch' && err.message.includes(forged));
    await assert.rejects(client().resolveImage(repo, forged), (err: unknown) => err instanceof RegistryError && err.kind === 'digest-mismatch');
  });

  it('refuses a manifest over 4 MiB, announced or not, without reading it whole', async () => {
    const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', padding: 'x'.repeat(5 * 1024 * 1024) }));
    for (const announce of [true, false]) {
      intercept((path, _req, res) => {
        if (path?.kind !== 'manifests') return false;
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...(announce ? { 'content-length': huge.length } : {}) });
        res.end(huge);
        return true;
      });
      await assert.rejects(client().resolveImage(repo, 'v1'), (err: unknown) => err instanceof RegistryError && err.kind === 'too-large' && /4194304 bytes allowed/.test(err.message), `announced: ${announce}`);
    }
  });

  it('times out a registry that stalls in the middle of a blob', async () => {
    intercept((path, _req, res) => {
      if (path?.kind !== 'blobs' || path.reference !== layerDigest()) return false;
      const bytes = image.layers[0]?.bytes ?? Buffer.alloc(0);
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return true; // and never another byte
    });
    const c = client({ timeouts: { requestMs: 2000, idleMs: 300 } });
    const resolved = await c.resolveImage(repo, 'v1');
    const started = Date.now();
    await assert.rejects(
      analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers }),
      (err: unknown) => err instanceof RegistryError && err.kind === 'timeout' && err.retryable && /stalled: no data for 300 ms/.test(err.message),
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('times out a registry that never answers, after retrying', async () => {
    intercept((path) => path?.kind === 'manifests'); // swallow the request
    const started = Date.now();
    await assert.rejects(
      client({ timeouts: { requestMs: 200, idleMs: 1000 }, retry: { attempts: 2, baseDelayMs: 5 } }).resolveImage(repo, 'v1'),
      (err: unknown) => err instanceof RegistryError && err.kind === 'timeout' && err.retryable,
    );
    assert.ok(Date.now() - started < 2000);
    assert.equal(server.requests.length, 2);
  });

  for (const [status, kind, imageStatus] of [
    [401, 'unauthorized', 'ACCESS_DENIED'],
    [403, 'denied', 'ACCESS_DENIED'],
    [404, 'not-found', 'NOT_FOUND'],
  ] as const) {
    it(`fails a ${status} at once, with the registry’s own error code`, async () => {
      intercept((path, _req, res) => {
        if (path?.kind !== 'manifests') return false;
        sendRegistryError(res, status, status === 404 ? 'MANIFEST_UNKNOWN' : 'DENIED', 'requested access to the resource is denied');
        return true;
      });
      await assert.rejects(client().resolveImage(repo, 'v1'), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.kind, kind);
        assert.equal(err.status, imageStatus);
        assert.equal(err.retryable, false);
        assert.equal(err.httpStatus, status);
        if (status !== 401) assert.match(err.message, /answered \d{3} \((MANIFEST_UNKNOWN|DENIED): requested access/);
        return true;
      });
      assert.equal(server.requests.length, 1, 'not retried');
    });
  }

  for (const status of [429, 500, 502, 503]) {
    it(`retries a ${status} with backoff and then succeeds`, async () => {
      let failures = 0;
      intercept((path, _req, res) => {
        if (path?.kind !== 'manifests' || failures >= 2) return false;
        failures++;
        sendRegistryError(res, status, status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', 'try later', status === 429 ? { 'retry-after': '0' } : {});
        return true;
      });
      const resolved = await client().resolveImage(repo, 'v1');
      assert.equal(resolved.digest, image.manifest.digest);
      assert.equal(server.requests.length, 3);
    });
  }

  it('gives up on a persistent 5xx as a retryable failure', async () => {
    intercept((path, _req, res) => {
      if (path?.kind !== 'blobs') return false;
      sendRegistryError(res, 503, 'UNAVAILABLE', 'maintenance');
      return true;
    });
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    await assert.rejects(analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers }), (err: unknown) => err instanceof RegistryError && err.kind === 'unavailable' && err.retryable && err.status === 'FAILED');
  });

  it('answers a Basic challenge with credentials, and keeps passwords out of logs', async () => {
    const password = 'sup3r-s3cret-pa55';
    const expected = `Basic ${Buffer.from(`bob:${password}`).toString('base64')}`;
    let unavailableOnce = true;
    intercept((_path, req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"', 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return true;
      }
      if (unavailableOnce) {
        unavailableOnce = false;
        sendRegistryError(res, 503, 'UNAVAILABLE', 'once');
        return true;
      }
      return false;
    });
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    const credentials = envCredentials({ [`${envPrefixFor(server.host)}USERNAME`]: 'bob', [`${envPrefixFor(server.host)}PASSWORD`]: password });
    const c = client({ credentials, log });
    const resolved = await c.resolveImage(repo, 'v1');
    await analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers });
    assert.match(logged, /registry request retried/);
    assert.ok(!logged.includes(password) && !logged.includes(expected.slice(6)), 'no secret in the log');
    assert.equal(server.requests.filter((r) => r.headers.authorization === expected).length >= 3, true);

    await assert.rejects(client().resolveImage(repo, 'v1'), (err: unknown) => err instanceof RegistryError && err.kind === 'unauthorized' && /needs credentials that are not configured/.test(err.message));
    const wrong = envCredentials({ [`${envPrefixFor(server.host)}USERNAME`]: 'bob', [`${envPrefixFor(server.host)}PASSWORD`]: 'nope-nope' });
    await assert.rejects(client({ credentials: wrong }).resolveImage(repo, 'v1'), (err: unknown) => err instanceof RegistryError && err.status === 'ACCESS_DENIED' && !err.message.includes('nope-nope'));
  });

  it('follows a blob redirect to another host without forwarding the Authorization header', async () => {
    const expected = `Basic ${Buffer.from('bob:pw').toString('base64')}`;
    intercept((path, req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' });
        res.end();
        return true;
      }
      if (path?.kind !== 'blobs') return false;
      res.writeHead(307, { location: `${other.url}/storage${req.url}?X-Amz-Signature=abc` });
      res.end();
      return true;
    });
    other.handle((req, res) => {
      const digest = /blobs\/([^?]+)/.exec(req.url ?? '')?.[1] ?? '';
      res.writeHead(200);
      res.end(content.blobs.get(digest));
    });
    const credentials = envCredentials({ [`${envPrefixFor(server.host)}USERNAME`]: 'bob', [`${envPrefixFor(server.host)}PASSWORD`]: 'pw' });
    const c = client({ credentials, insecureHosts: [server.host, other.host] });
    const resolved = await c.resolveImage(repo, 'v1');
    const inventory = await analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers });
    assert.equal(inventory.packages.length, 6);
    assert.ok(other.requests.length > 0);
    assert.ok(other.requests.every((r) => r.headers.authorization === undefined), 'the blob store never saw the credentials');
  });

  it('refuses a redirect to plain HTTP on a host not listed as insecure', async () => {
    intercept((path, req, res) => {
      if (path?.kind !== 'blobs') return false;
      res.writeHead(302, { location: `${other.url}${req.url}` });
      res.end();
      return true;
    });
    const c = client();
    const resolved = await c.resolveImage(repo, 'v1');
    await assert.rejects(analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers }), /redirected to http:\/\/127\.0\.0\.1:\d+\/v2\/app\/blobs\/sha256:[0-9a-f]+, which is neither https/);
    assert.equal(other.requests.length, 0);
  });

  it('follows tags/list Link pagination on the registry, and refuses a next page elsewhere', async () => {
    const all = Array.from({ length: 7 }, (_, i) => `t${i}`);
    let foreign = false;
    intercept((path, req, res) => {
      if (path?.kind !== 'tags') return false;
      const url = new URL(req.url ?? '', server.url);
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const start = last ? all.indexOf(last) + 1 : 0;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length) {
        const next = `/v2/app/tags/list?n=${n}&last=${page[page.length - 1]}`;
        headers.link = foreign ? `<${other.url}${next}>; rel="next"` : `<${next}>; rel="next"`;
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: 'app', tags: page }));
      return true;
    });
    assert.deepEqual(await client({ tagPageSize: 3 }).listTags(repo), all);
    assert.deepEqual(server.requests.map((r) => r.path), ['/v2/app/tags/list?n=3', '/v2/app/tags/list?n=3&last=t2', '/v2/app/tags/list?n=3&last=t5']);
    foreign = true;
    await assert.rejects(client({ tagPageSize: 3 }).listTags(repo), /next page is on another host/);
  });

  it('refuses schema 1 manifests and artifacts that are not container images', async () => {
    const schema1 = blobOf(Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'app', tag: 'old', fsLayers: [] })), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    const helm = blobOf(
      Buffer.from(JSON.stringify({ ...JSON.parse(image.manifest.bytes.toString()), config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: image.config.digest, size: image.config.size } })),
      'application/vnd.oci.image.manifest.v1+json',
    );
    content.manifests.set('old', schema1);
    content.manifests.set('chart', helm);
    await assert.rejects(client().resolveImage(repo, 'old'), (err: unknown) => err instanceof RegistryError && err.status === 'UNSUPPORTED_IMAGE' && /schema 1/.test(err.message));
    await assert.rejects(client().resolveImage(repo, 'chart'), (err: unknown) => err instanceof RegistryError && err.status === 'UNSUPPORTED_IMAGE' && /helm/.test(err.message));
  });

  it('refuses a manifest that does not have the shape of one', async () => {
    content.manifests.set('odd', blobOf(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: 'x' })), 'application/vnd.oci.image.manifest.v1+json'));
    content.manifests.set('junk', blobOf(Buffer.from('<html>not json</html>'), 'application/vnd.oci.image.manifest.v1+json'));
    await assert.rejects(client().resolveImage(repo, 'odd'), (err: unknown) => err instanceof RegistryError && err.kind === 'invalid-response' && /is malformed: \/config/.test(err.message));
    await assert.rejects(client().resolveImage(repo, 'junk'), /is not valid JSON/);
  });

  it('runs the same on a fetch passed in: challenge, retry, redirect and verified blobs', async () => {
    const expected = `Basic ${Buffer.from('bob:pw').toString('base64')}`;
    let unavailableOnce = true;
    intercept((path, req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' });
        res.end();
        return true;
      }
      if (path?.kind === 'manifests' && unavailableOnce) {
        unavailableOnce = false;
        sendRegistryError(res, 503, 'UNAVAILABLE', 'once');
        return true;
      }
      if (path?.kind !== 'blobs') return false;
      res.writeHead(307, { location: `${other.url}${req.url}` });
      res.end();
      return true;
    });
    other.handle((req, res) => serveContent(content, req, res));
    const credentials = envCredentials({ [`${envPrefixFor(server.host)}USERNAME`]: 'bob', [`${envPrefixFor(server.host)}PASSWORD`]: 'pw' });
    const calls: string[] = [];
    const c = client({
      credentials,
      insecureHosts: [server.host, other.host],
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    const resolved = await c.resolveImage(repo, 'v1');
    const inventory = await analyseImage({ blobs: registryBlobs(c, repo), layers: resolved.layers });
    assert.equal(inventory.packages.length, 6);
    assert.ok(calls.some((url) => url.startsWith(other.url)), 'the redirect went through the given fetch');
    assert.ok(other.requests.every((r) => r.headers.authorization === undefined));
  });

  it('reaches hosts over HTTPS unless they are listed as insecure', async () => {
    await assert.rejects(createRegistryClient({ retry: { attempts: 1 } }).resolveImage(repo, 'v1'), (err: unknown) => {
      assert.ok(err instanceof RegistryError && err.kind === 'network', String(err));
      assert.match(err.message, /failed: the registry answered the TLS handshake in plain HTTP; if it serves plain HTTP, list its host\[:port\] in ECRSCAN_INSECURE_REGISTRIES$/);
      return true;
    });
    assert.equal(server.requests.length, 0, 'nothing was sent in plain HTTP: the server saw only a TLS handshake');
  });
});
