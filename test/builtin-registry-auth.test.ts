import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Logger, pino } from 'pino';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { dockerConfigCredentials, envCredentials, envRealmPins } from '../src/scanners/builtin/registry/credentials.js';
import { createRegistryClient, type RepositoryRef } from '../src/scanners/builtin/registry/registry-client.js';
import { RegistryError } from '../src/scanners/builtin/registry/registry-error.js';
import { buildImage, buildLayer, pushImage, type BuiltImage } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_STATUS } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';
import { opensslAvailable, startTokenServer, type TokenServer, type TokenServerOptions } from './support/token-server.js';

const installed = findRegistryBinary() !== null;
const haveOpenssl = opensslAvailable();
if (!installed) warnRegistryMissing('test/builtin-registry-auth.test.ts');
else if (!haveOpenssl) console.warn('SKIPPED: openssl not installed; test/builtin-registry-auth.test.ts did not run');

describe('token authentication with the reference registry', { skip: (!installed || !haveOpenssl) && 'docker-registry or openssl not installed' }, () => {
  const tokenOptions: TokenServerOptions = { users: { alice: 'correct horse battery staple' }, refreshTokens: { 'refresh-abc': 'alice' } };
  let tokens: TokenServer;
  let registry: RegistryServer;
  let image: BuiltImage;
  let configDir: string;
  let repo: RepositoryRef;

  before(async () => {
    tokens = await startTokenServer(tokenOptions);
    registry = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
    repo = { registry: registry.host, repository: 'private/app' };
    image = buildImage([await buildLayer([{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS }])]);
    await pushImage({ url: registry.url, authorization: `Bearer ${tokens.tokenFor('alice', 'private/app', ['pull', 'push'])}` }, 'private/app', 'v1', image);
    configDir = await mkdtemp(join(tmpdir(), 'docker-config-'));
  });

  after(async () => {
    await registry?.stop();
    await tokens?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  function clientWith(env: Record<string, string>, insecure = true, log?: Logger) {
    return createRegistryClient({
      insecureHosts: insecure ? [registry.host, tokens.server.host] : [registry.host],
      credentials: envCredentials(env),
      allowedRealms: envRealmPins(env),
      retry: { baseDelayMs: 10 },
      ...(log ? { log } : {}),
    });
  }

  it('sends credentials only to pinned realm hosts when the registry is pinned', async () => {
    const prefix = `ECRSCAN_REGISTRY_${registry.host.replace(/[^0-9A-Za-z]/g, '_').toUpperCase()}_`;
    const before = tokens.server.requests.length;
    const elsewhere = clientWith({ ...aliceEnv(), [`${prefix}REALMS`]: 'auth.example.com' });
    await assert.rejects(elsewhere.listTags(repo), (err: unknown) => {
      assert.ok(err instanceof RegistryError && err.kind === 'configuration');
      assert.match(err.message, new RegExp(`asks for its credentials at ${tokens.server.host.replace(/\./g, '\\.')}, which is not among the realm hosts pinned for it \\(auth\.example\.com\\)`));
      return true;
    });
    assert.equal(tokens.server.requests.length, before, 'the realm was never asked');
    const pinned = clientWith({ ...aliceEnv(), [`${prefix}REALMS`]: `auth.example.com, ${tokens.server.host}` });
    assert.deepEqual(await pinned.listTags(repo), ['v1']);
  });

  it('logs the first token request to each realm host, once', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const client = clientWith(aliceEnv(), true, log);
    await client.listTags(repo);
    await client.resolveDigest(repo, 'v1');
    await client.listTags({ ...repo, repository: 'private/other' }).catch(() => undefined);
    const first = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'first token request to this realm host');
    assert.deepEqual(
      first.map(({ registry: host, realm, withCredentials }) => ({ host, realm, withCredentials })),
      [{ host: registry.host, realm: tokens.server.host, withCredentials: true }],
    );
    assert.doesNotMatch(lines.join(''), /correct horse/, 'no secret in the log');
  });

  const aliceEnv = (): Record<string, string> => ({
    [`ECRSCAN_REGISTRY_${registry.host.replace(/[^0-9A-Za-z]/g, '_').toUpperCase()}_USERNAME`]: 'alice',
    [`ECRSCAN_REGISTRY_${registry.host.replace(/[^0-9A-Za-z]/g, '_').toUpperCase()}_PASSWORD`]: 'correct horse battery staple',
  });

  it('answers the challenge with credentials from the environment and caches the token per scope', async () => {
    tokens.issued.length = 0;
    const client = clientWith(aliceEnv());
    assert.deepEqual(await client.listTags(repo), ['v1']);
    const resolved = await client.resolveImage(repo, 'v1');
    assert.equal(resolved.digest, image.manifest.digest);
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo), layers: resolved.layers });
    assert.equal(inventory.packages.length, 6);
    assert.deepEqual(tokens.issued, [{ scope: 'repository:private/app:pull', account: 'alice' }], 'one token for the tag list, manifests and blobs');
  });

  it('exchanges a Docker config identity token (OAuth2 refresh token) for an access token', async () => {
    const path = join(configDir, 'config.json');
    await writeFile(path, JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: '', identitytoken: 'refresh-abc' } } }));
    tokens.issued.length = 0;
    const client = createRegistryClient({ insecureHosts: [registry.host, tokens.server.host], credentials: dockerConfigCredentials(path) });
    assert.equal((await client.resolveImage(repo, 'v1')).digest, image.manifest.digest);
    assert.deepEqual(tokens.issued, [{ scope: 'repository:private/app:pull', account: 'alice' }]);
  });

  it('fails with access denied, and no secret in the message, when the password is wrong', async () => {
    const env = aliceEnv();
    const passwordKey = Object.keys(env).find((key) => key.endsWith('PASSWORD')) ?? '';
    env[passwordKey] = 'wrong-password-123';
    await assert.rejects(clientWith(env).resolveImage(repo, 'v1'), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 'ACCESS_DENIED');
      assert.equal(err.retryable, false);
      assert.match(err.message, /refused the configured credentials/);
      assert.ok(!err.message.includes('wrong-password-123') && !JSON.stringify(err).includes('wrong-password-123'));
      return true;
    });
  });

  it('fails with access denied when the registry wants credentials and none are configured', async () => {
    await assert.rejects(clientWith({}).resolveImage(repo, 'v1'), (err: unknown) => err instanceof RegistryError && err.kind === 'unauthorized' && /anonymous access/.test(err.message));
  });

  it('pulls anonymously where the token server allows it', async () => {
    tokenOptions.anonymousPull = true;
    try {
      assert.equal((await clientWith({}).resolveImage(repo, 'v1')).digest, image.manifest.digest);
    } finally {
      tokenOptions.anonymousPull = false;
    }
  });

  it('refuses a token realm over plain HTTP unless its host is listed as insecure', async () => {
    await assert.rejects(clientWith(aliceEnv(), false).resolveImage(repo, 'v1'), /neither https nor a host listed as insecure/);
  });
});
