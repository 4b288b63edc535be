/**
 * Where registry credentials come from. Sources, tried in this order by
 * `defaultCredentialSource`:
 *
 * 1. Environment variables per registry host: `ECRSCAN_REGISTRY_<HOST>_USERNAME` and
 *    `ECRSCAN_REGISTRY_<HOST>_PASSWORD`, where `<HOST>` is the host (with its port) in upper
 *    case with every character other than a letter or digit replaced by `_`:
 *    `ghcr.io` → `ECRSCAN_REGISTRY_GHCR_IO_USERNAME`, `registry.local:5000` →
 *    `ECRSCAN_REGISTRY_REGISTRY_LOCAL_5000_PASSWORD`.
 * 2. Docker's client configuration, `$DOCKER_CONFIG/config.json` (default
 *    `~/.docker/config.json`): the `auths` entries with `auth` (base64 `user:password`),
 *    `username`/`password`, `identitytoken` (an OAuth2 refresh token) or `registrytoken`.
 *    Credential helpers (`credsStore`, `credHelpers`) are programs and are not run.
 * 3. Amazon ECR hosts (`<account>.dkr.ecr.<region>.amazonaws.com`): a token from ECR's
 *    `GetAuthorizationToken` with the standard AWS credential chain, cached until shortly
 *    before it expires.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ecrRegistryOf } from '../../../domain/scan-config.js';
import { RegistryError } from './registry-error.js';
import { Secret } from './secret.js';

export type RegistryCredential =
  | { kind: 'basic'; username: string; password: Secret }
  /** An OAuth2 refresh token (`docker login` with an identity provider); exchanged at the token realm. */
  | { kind: 'identity-token'; token: Secret }
  /** A registry token sent as is in `Authorization: Bearer`. */
  | { kind: 'registry-token'; token: Secret };

export interface CredentialSource {
  /** Credentials for a registry host (`name[:port]`), or null for anonymous access. */
  credentialsFor(host: string, signal?: AbortSignal): Promise<RegistryCredential | null>;
}

export const anonymous: CredentialSource = { credentialsFor: async () => null };

export function chainCredentials(sources: readonly CredentialSource[]): CredentialSource {
  return {
    async credentialsFor(host, signal) {
      for (const source of sources) {
        const found = await source.credentialsFor(host, signal);
        if (found) return found;
      }
      return null;
    },
  };
}

/**
 * The token realm hosts a registry's credentials may go to, from
 * `ECRSCAN_REGISTRY_<HOST>_REALMS` (comma-separated `host[:port]`); null when the
 * registry is not pinned, and its credentials go wherever its challenge says, as Docker's.
 */
export function envRealmPins(env: Readonly<Record<string, string | undefined>>): (host: string) => readonly string[] | null {
  return (host) => {
    const raw = env[`${envPrefixFor(DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host)}REALMS`];
    if (raw === undefined || raw.trim() === '') return null;
    return raw
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== '');
  };
}

/** Hosts Docker writes for Docker Hub, all standing for the same registry. */
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `ECRSCAN_REGISTRY_<HOST>_` for a host, as documented above. */
export function envPrefixFor(host: string): string {
  return `ECRSCAN_REGISTRY_${host.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

export function envCredentials(env: Readonly<Record<string, string | undefined>>): CredentialSource {
  return {
    async credentialsFor(host) {
      // Docker Hub's API host stands for `docker.io`, the name users know.
      const prefix = envPrefixFor(DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host);
      const username = env[`${prefix}USERNAME`];
      const password = env[`${prefix}PASSWORD`];
      if (!username && !password) return null;
      if (!username || !password) {
        throw new RegistryError('configuration', `${prefix}USERNAME and ${prefix}PASSWORD must be set together`);
      }
      return { kind: 'basic', username, password: new Secret(password) };
    },
  };
}

const DockerAuthEntry = Type.Object({
  auth: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  identitytoken: Type.Optional(Type.String()),
  registrytoken: Type.Optional(Type.String()),
});
type DockerAuthEntry = Static<typeof DockerAuthEntry>;

const DockerConfigFile = Type.Object({
  auths: Type.Optional(Type.Record(Type.String(), DockerAuthEntry)),
});
type DockerConfigFile = Static<typeof DockerConfigFile>;
const dockerConfigFile = Compile(DockerConfigFile);

/** A Docker config is a few KiB; the bound keeps a wrong path from being read whole. */
const MAX_DOCKER_CONFIG_BYTES = 1024 * 1024;

/** `https://index.docker.io/v1/`, `http://host:5000`, `host` → the host key we look up. */
export function normaliseAuthKey(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = (withoutScheme.split('/')[0] ?? '').toLowerCase();
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** Reads the Docker config once, on first use; a missing file means no credentials. */
export function dockerConfigCredentials(path: string): CredentialSource {
  let entries: Map<string, RegistryCredential> | null = null;
  return {
    async credentialsFor(host) {
      entries ??= readDockerConfig(path);
      return entries.get(normaliseAuthKey(host)) ?? null;
    },
  };
}

function readDockerConfig(path: string): Map<string, RegistryCredential> {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_DOCKER_CONFIG_BYTES) throw new RegistryError('configuration', `${path} is larger than 1 MiB`);
    text = bytes.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    if (err instanceof RegistryError) throw err;
    throw new RegistryError('configuration', `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryError('configuration', `${path} is not valid JSON`);
  }
  if (!dockerConfigFile.Check(parsed)) {
    throw new RegistryError('configuration', `${path} does not have the shape of a Docker config ("auths" of objects)`);
  }
  const config: DockerConfigFile = parsed;
  const entries = new Map<string, RegistryCredential>();
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    const credential = credentialOfEntry(entry, key, path);
    if (credential) entries.set(normaliseAuthKey(key), credential);
  }
  return entries;
}

function credentialOfEntry(entry: DockerAuthEntry, key: string, path: string): RegistryCredential | null {
  if (entry.identitytoken) return { kind: 'identity-token', token: new Secret(entry.identitytoken) };
  if (entry.registrytoken) return { kind: 'registry-token', token: new Secret(entry.registrytoken) };
  if (entry.username && entry.password) {
    return { kind: 'basic', username: entry.username, password: new Secret(entry.password) };
  }
  if (!entry.auth) return null;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new RegistryError('configuration', `the "auth" of ${key} in ${path} is not base64 of user:password`);
  return { kind: 'basic', username: decoded.slice(0, colon), password: new Secret(decoded.slice(colon + 1)) };
}

export type EcrClientFactory = (region: string) => Pick<ECRClient, 'send'> | Promise<Pick<ECRClient, 'send'>>;

export interface EcrCredentialOptions {
  /** One client per region; the default builds an `ECRClient` with the standard credential chain. */
  clientFor?: EcrClientFactory;
  now?: () => number;
}

/** ECR tokens live 12 hours; renewing 5 minutes early keeps a scan from meeting an expiry. */
const ECR_RENEW_BEFORE_MS = 5 * 60_000;

interface CachedEcrToken {
  credential: Promise<RegistryCredential>;
  expiresAt: number;
}

/** Credentials for ECR hosts from `GetAuthorizationToken`, cached per host until near expiry. */
export function ecrCredentials(options: EcrCredentialOptions = {}): CredentialSource {
  const clientFor = options.clientFor ?? defaultEcrClientFactory();
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedEcrToken>();
  return {
    async credentialsFor(host) {
      const ecr = ecrRegistryOf({ registry: host, region: null });
      if (!ecr) return null;
      const cached = cache.get(host);
      if (cached && cached.expiresAt - ECR_RENEW_BEFORE_MS > now()) return cached.credential;
      const pending = Promise.resolve(clientFor(ecr.region))
        .then((client) => fetchEcrToken(client, ecr.accountId))
        .then(
          ({ credential, expiresAt }) => {
            cache.set(host, { credential: Promise.resolve(credential), expiresAt });
            return credential;
          },
          (err: unknown) => {
            cache.delete(host);
            throw err;
          },
        );
      // Concurrent scans of one registry share the request in flight.
      cache.set(host, { credential: pending, expiresAt: Number.POSITIVE_INFINITY });
      return pending;
    },
  };
}

function defaultEcrClientFactory(): EcrClientFactory {
  const clients = new Map<string, Promise<ECRClient>>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      // The AWS SDK is loaded when an ECR host is first met: loading it costs a one-shot `ecrscan image` of any other registry much of its run.
      client = import('@aws-sdk/client-ecr').then((sdk) => new sdk.ECRClient({ region }));
      clients.set(region, client);
    }
    return client;
  };
}

/** Not bound to one caller's signal: concurrent scans share the request. */
async function fetchEcrToken(client: Pick<ECRClient, 'send'>, accountId: string): Promise<{ credential: RegistryCredential; expiresAt: number }> {
  const { GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  let output;
  try {
    output = await client.send(new GetAuthorizationTokenCommand({}));
  } catch (err) {
    const name = (err as Error).name;
    const throttled = name === 'ThrottlingException' || name === 'TooManyRequestsException';
    throw new RegistryError(throttled ? 'throttled' : 'denied', `ECR GetAuthorizationToken for account ${accountId} failed: ${name}`);
  }
  const data = output.authorizationData?.[0];
  const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new RegistryError('invalid-response', `ECR GetAuthorizationToken for account ${accountId} returned no usable token`);
  const expiresAt = data?.expiresAt instanceof Date ? data.expiresAt.getTime() : Date.now() + 60 * 60_000;
  return {
    credential: { kind: 'basic', username: decoded.slice(0, colon), password: new Secret(decoded.slice(colon + 1)) },
    expiresAt,
  };
}

export interface DefaultCredentialOptions {
  env?: Readonly<Record<string, string | undefined>>;
  ecr?: EcrCredentialOptions;
}

export function defaultCredentialSource(options: DefaultCredentialOptions = {}): CredentialSource {
  const env = options.env ?? process.env;
  return chainCredentials([envCredentials(env), dockerConfigCredentials(dockerConfigPath(env)), ecrCredentials(options.ecr)]);
}
