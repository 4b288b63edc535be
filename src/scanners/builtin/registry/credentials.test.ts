import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ECRClient } from '@aws-sdk/client-ecr';
import { readRequestBody, sendJson, startHttpServer, type TestHttpServer } from '../../../../test/support/http-server.js';
import {
  chainCredentials,
  dockerConfigCredentials,
  dockerConfigPath,
  ecrCredentials,
  envCredentials,
  envPrefixFor,
  normaliseAuthKey,
  type RegistryCredential,
} from './credentials.js';
import { RegistryError } from './registry-error.js';

function basicOf(credential: RegistryCredential | null): [string, string] | null {
  return credential?.kind === 'basic' ? [credential.username, credential.password.reveal()] : null;
}

describe('environment credentials', () => {
  it('names variables after the host, upper-cased with other characters as "_"', () => {
    assert.equal(envPrefixFor('ghcr.io'), 'ECRSCAN_REGISTRY_GHCR_IO_');
    assert.equal(envPrefixFor('registry.local:5000'), 'ECRSCAN_REGISTRY_REGISTRY_LOCAL_5000_');
  });

  it('reads USERNAME and PASSWORD of the host and nothing for other hosts', async () => {
    const source = envCredentials({ ECRSCAN_REGISTRY_GHCR_IO_USERNAME: 'bot', ECRSCAN_REGISTRY_GHCR_IO_PASSWORD: 'p:ss' });
    assert.deepEqual(basicOf(await source.credentialsFor('ghcr.io')), ['bot', 'p:ss']);
    assert.equal(await source.credentialsFor('quay.io'), null);
  });

  it('knows Docker Hub by the name users write, docker.io', async () => {
    const source = envCredentials({ ECRSCAN_REGISTRY_DOCKER_IO_USERNAME: 'hub', ECRSCAN_REGISTRY_DOCKER_IO_PASSWORD: 'pw' });
    assert.deepEqual(basicOf(await source.credentialsFor('registry-1.docker.io')), ['hub', 'pw']);
  });

  it('refuses half a pair with a configuration error naming the variables', async () => {
    const source = envCredentials({ ECRSCAN_REGISTRY_QUAY_IO_USERNAME: 'bot' });
    await assert.rejects(source.credentialsFor('quay.io'), (err: unknown) => err instanceof RegistryError && /ECRSCAN_REGISTRY_QUAY_IO_PASSWORD/.test(err.message));
  });
});

describe('Docker config credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docker-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configWith(content: string): Promise<string> {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(path, content);
    return path;
  }

  it('normalises the keys docker writes', () => {
    assert.equal(normaliseAuthKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normaliseAuthKey('registry-1.docker.io'), 'docker.io');
    assert.equal(normaliseAuthKey('http://Registry.Local:5000/v2/'), 'registry.local:5000');
    assert.equal(normaliseAuthKey('ghcr.io'), 'ghcr.io');
  });

  it('finds the config through DOCKER_CONFIG', () => {
    assert.equal(dockerConfigPath({ DOCKER_CONFIG: '/cfg' }), join('/cfg', 'config.json'));
  });

  it('reads base64 auth (passwords may hold colons), username/password, identitytoken and registrytoken', async () => {
    const path = await configWith(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:pa:ss').toString('base64') },
          'ghcr.io': { username: 'gh', password: 'ghp_x' },
          'myregistry.azurecr.io': { auth: '', identitytoken: 'refresh-123' },
          'tokens.example': { registrytoken: 'reg-456' },
          'helper.example': { auth: '' },
        },
        credsStore: 'desktop',
      }),
    );
    const source = dockerConfigCredentials(path);
    assert.deepEqual(basicOf(await source.credentialsFor('docker.io')), ['hubuser', 'pa:ss']);
    assert.deepEqual(basicOf(await source.credentialsFor('registry-1.docker.io')), ['hubuser', 'pa:ss']);
    assert.deepEqual(basicOf(await source.credentialsFor('ghcr.io')), ['gh', 'ghp_x']);
    const identity = await source.credentialsFor('myregistry.azurecr.io');
    assert.equal(identity?.kind === 'identity-token' && identity.token.reveal(), 'refresh-123');
    const registryToken = await source.credentialsFor('tokens.example');
    assert.equal(registryToken?.kind === 'registry-token' && registryToken.token.reveal(), 'reg-456');
    assert.equal(await source.credentialsFor('helper.example'), null);
    assert.equal(await source.credentialsFor('other.example'), null);
  });

  it('means no credentials when the file does not exist', async () => {
    assert.equal(await dockerConfigCredentials(join(dir, 'absent.json')).credentialsFor('ghcr.io'), null);
  });

  it('fails clearly on a malformed file without quoting its content', async () => {
    const notJson = dockerConfigCredentials(await configWith('{"auths": {"x": {"auth": "c2VjcmV0'));
    await assert.rejects(notJson.credentialsFor('x'), (err: unknown) => err instanceof RegistryError && /not valid JSON/.test(err.message) && !err.message.includes('c2VjcmV0'));
    const wrongShape = dockerConfigCredentials(await configWith('{"auths": {"x": {"auth": 42}}}'));
    await assert.rejects(wrongShape.credentialsFor('x'), /shape of a Docker config/);
    const badAuth = dockerConfigCredentials(await configWith(JSON.stringify({ auths: { x: { auth: Buffer.from('nocolon').toString('base64') } } })));
    await assert.rejects(badAuth.credentialsFor('x'), /not base64 of user:password/);
  });

  it('never shows a password when printed, logged or serialised', async () => {
    const source = envCredentials({ ECRSCAN_REGISTRY_GHCR_IO_USERNAME: 'bot', ECRSCAN_REGISTRY_GHCR_IO_PASSWORD: 'hunter2' });
    const credential = await source.credentialsFor('ghcr.io');
    assert.ok(!inspect(credential, { depth: 5 }).includes('hunter2'));
    assert.ok(!JSON.stringify(credential).includes('hunter2'));
    assert.ok(!`${String(credential?.kind === 'basic' && credential.password)}`.includes('hunter2'));
  });

  it('chains sources, the first that knows a host winning', async () => {
    const chain = chainCredentials([
      envCredentials({ ECRSCAN_REGISTRY_A_EXAMPLE_USERNAME: 'env', ECRSCAN_REGISTRY_A_EXAMPLE_PASSWORD: '1' }),
      dockerConfigCredentials(await configWith(JSON.stringify({ auths: { 'a.example': { username: 'file', password: '2' }, 'b.example': { username: 'file', password: '3' } } }))),
    ]);
    assert.deepEqual(basicOf(await chain.credentialsFor('a.example')), ['env', '1']);
    assert.deepEqual(basicOf(await chain.credentialsFor('b.example')), ['file', '3']);
    assert.equal(await chain.credentialsFor('c.example'), null);
  });
});

describe('ECR credentials through GetAuthorizationToken', () => {
  let ecr: TestHttpServer;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const targets: string[] = [];

  before(async () => {
    // Speaks ECR's JSON 1.1 protocol, as the SDK's real client sends it.
    ecr = await startHttpServer(async (req, res) => {
      await readRequestBody(req);
      targets.push(String(req.headers['x-amz-target']));
      sendJson(res, answer.status, answer.body, { 'content-type': 'application/x-amz-json-1.1' });
    });
  });
  after(async () => {
    await ecr.close();
  });

  function clientFor(): ECRClient {
    return new ECRClient({
      region: 'eu-west-1',
      endpoint: ecr.url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    });
  }

  it('answers only ECR hosts, with AWS and the decoded password, and caches the token until near expiry', async () => {
    targets.length = 0;
    const expiresAt = Date.now() / 1000 + 12 * 3600;
    answer = {
      status: 200,
      body: { authorizationData: [{ authorizationToken: Buffer.from('AWS:eyJwYXlsb2FkIjoi').toString('base64'), expiresAt, proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }] },
    };
    let now = Date.now();
    const regions: string[] = [];
    const source = ecrCredentials({
      clientFor: (region) => {
        regions.push(region);
        return clientFor();
      },
      now: () => now,
    });
    assert.equal(await source.credentialsFor('ghcr.io'), null);
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    assert.deepEqual(basicOf(await source.credentialsFor(host)), ['AWS', 'eyJwYXlsb2FkIjoi']);
    assert.deepEqual(basicOf(await source.credentialsFor(host)), ['AWS', 'eyJwYXlsb2FkIjoi']);
    assert.deepEqual(targets, ['AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken']);
    assert.deepEqual(regions, ['eu-west-1']);
    now = expiresAt * 1000 - 60_000;
    await source.credentialsFor(host);
    assert.equal(targets.length, 2, 'a token about to expire is renewed');
  });

  it('turns an ECR refusal into an access error and throttling into a retryable one', async () => {
    const source = ecrCredentials({ clientFor });
    answer = { status: 400, body: { __type: 'com.amazonaws.ecr#InvalidParameterException', message: 'denied' } };
    await assert.rejects(source.credentialsFor('123456789012.dkr.ecr.us-east-1.amazonaws.com'), (err: unknown) => err instanceof RegistryError && err.status === 'ACCESS_DENIED' && !err.retryable);
    answer = { status: 400, body: { __type: 'ThrottlingException', message: 'slow down' } };
    await assert.rejects(source.credentialsFor('123456789012.dkr.ecr.us-east-1.amazonaws.com'), (err: unknown) => err instanceof RegistryError && err.kind === 'throttled' && err.retryable);
  });
});
