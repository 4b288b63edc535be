import type { Logger } from 'pino';
import type { CredentialSource, RegistryCredential } from './credentials.js';
import {
  backoffDelay,
  createDeadline,
  describeUrl,
  discardBody,
  failureOf,
  isRetryableStatus,
  isSuccess,
  readBodyCapped,
  sleep,
  type HttpRequester,
  type HttpResponse,
  type RetryPolicy,
} from './http.js';
import { RegistryError, kindOfStatus } from './registry-error.js';
import { jsonParser, TokenResponse } from './schemas.js';
import { Secret } from './secret.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

/**
 * Answers registries' `401` challenges and remembers the outcome: per host which scheme
 * it wants, and per host and scope the bearer token it issued, until shortly before the
 * token expires. Requests of a known host carry the right header from the start.
 */
export interface Authenticator {
  /** The `Authorization` value to send to `host` for `scope`, or null to go anonymous. */
  headerFor(host: string, scope: string, signal?: AbortSignal): Promise<string | null>;
  /**
   * Reacts to a 401 whose challenge is `header`; true when a new attempt may succeed
   * (a token was obtained, or Basic credentials exist that were not sent yet).
   */
  answerChallenge(host: string, scope: string, header: string | null, sent: string | null, signal?: AbortSignal): Promise<boolean>;
}

export interface AuthenticatorOptions {
  credentials: CredentialSource;
  http: HttpRequester;
  isInsecure(host: string): boolean;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  now?: () => number;
  log?: Pick<Logger, 'info'>;
  /** The realm hosts a registry's credentials may go to; null or absent: wherever it says. */
  allowedRealms?: (host: string) => readonly string[] | null;
}

type BearerScheme = { scheme: 'bearer'; realm: URL; service: string | null };
type HostScheme = BearerScheme | { scheme: 'basic' };

interface CachedToken {
  header: Secret;
  expiresAt: number;
}

/** The token spec's default lifetime when a server names none. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew a little early so that a token does not expire between check and use. */
const TOKEN_SLACK_MS = 10_000;
/** A long-running service meets many repositories; old scopes are dropped first. */
const MAX_CACHED_TOKENS = 1000;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const parseTokenResponse = jsonParser(TokenResponse);

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const schemes = new Map<string, HostScheme>();
  const tokens = new Map<string, CachedToken>();
  const realmsUsed = new Set<string>();

  async function bearerFor(host: string, scope: string, scheme: BearerScheme, signal?: AbortSignal): Promise<string> {
    const key = `${host}\n${scope}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt > now()) return cached.header.reveal();
    const credential = await options.credentials.credentialsFor(host, signal);
    // As Docker does, a registry's credentials go to the token realm it names, wherever
    // that is: the first time they go to a host, the log says so.
    const pinned = credential ? (options.allowedRealms?.(host) ?? null) : null;
    if (pinned && !pinned.includes(scheme.realm.host.toLowerCase())) {
      throw new RegistryError(
        'configuration',
        `${host} asks for its credentials at ${scheme.realm.host}, which is not among the realm hosts pinned for it (${pinned.join(', ')})`,
      );
    }
    const realmKey = `${host} ${scheme.realm.host}`;
    if (!realmsUsed.has(realmKey)) {
      realmsUsed.add(realmKey);
      options.log?.info({ registry: host, realm: scheme.realm.host, withCredentials: credential !== null }, 'first token request to this realm host');
    }
    const token = await requestToken(options, scheme, scope, credential, host, signal);
    const lifetimeMs = (token.expiresIn ?? DEFAULT_TOKEN_SECONDS) * 1000;
    tokens.delete(key);
    tokens.set(key, { header: new Secret(`Bearer ${token.value.reveal()}`), expiresAt: now() + Math.max(0, lifetimeMs - TOKEN_SLACK_MS) });
    if (tokens.size > MAX_CACHED_TOKENS) tokens.delete(tokens.keys().next().value ?? '');
    return `Bearer ${token.value.reveal()}`;
  }

  async function basicFor(host: string, signal?: AbortSignal): Promise<string | null> {
    const credential = await options.credentials.credentialsFor(host, signal);
    if (credential?.kind !== 'basic') return null;
    return `Basic ${Buffer.from(`${credential.username}:${credential.password.reveal()}`).toString('base64')}`;
  }

  return {
    async headerFor(host, scope, signal) {
      const scheme = schemes.get(host);
      if (!scheme) return null;
      if (scheme.scheme === 'basic') return basicFor(host, signal);
      return bearerFor(host, scope, scheme, signal);
    },

    async answerChallenge(host, scope, header, sent, signal) {
      const challenge = chooseChallenge(parseWwwAuthenticate(header ?? ''));
      if (!challenge) return false;
      if (challenge.scheme === 'basic') {
        schemes.set(host, { scheme: 'basic' });
        const basic = await basicFor(host, signal);
        return basic !== null && basic !== sent;
      }
      const scheme = bearerScheme(challenge, host, options.isInsecure);
      schemes.set(host, scheme);
      const wantedScope = challenge.params.scope ?? scope;
      // The token just refused (if any) must not be served from the cache again.
      tokens.delete(`${host}\n${scope}`);
      tokens.delete(`${host}\n${wantedScope}`);
      const fresh = await bearerFor(host, wantedScope, scheme, signal);
      if (wantedScope !== scope) {
        const cached = tokens.get(`${host}\n${wantedScope}`);
        if (cached) tokens.set(`${host}\n${scope}`, cached);
      }
      return fresh !== sent;
    },
  };
}

function chooseChallenge(challenges: AuthChallenge[]): AuthChallenge | null {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? null;
}

function bearerScheme(challenge: AuthChallenge, host: string, isInsecure: (host: string) => boolean): BearerScheme {
  const realmText = challenge.params.realm;
  let realm: URL;
  try {
    realm = new URL(realmText ?? '');
  } catch {
    throw new RegistryError('invalid-response', `${host} asked for a bearer token without a valid realm URL`);
  }
  const plainAllowed = realm.protocol === 'http:' && isInsecure(realm.host);
  if (realm.protocol !== 'https:' && !plainAllowed) {
    throw new RegistryError('invalid-response', `${host} names the token realm ${describeUrl(realm)}, which is neither https nor a host listed as insecure`);
  }
  return { scheme: 'bearer', realm, service: challenge.params.service ?? null };
}

interface IssuedToken {
  value: Secret;
  expiresIn: number | null;
}

async function requestToken(
  options: AuthenticatorOptions,
  scheme: BearerScheme,
  scope: string,
  credential: RegistryCredential | null,
  host: string,
  signal?: AbortSignal,
): Promise<IssuedToken> {
  if (credential?.kind === 'registry-token') return { value: credential.token, expiresIn: null };
  const what = `token request to ${scheme.realm.host} for ${host}`;
  for (let attempt = 1; ; attempt++) {
    const deadline = createDeadline(options.requestTimeoutMs, () => new RegistryError('timeout', `${what} timed out`), signal);
    let retryAfter: string | null;
    try {
      const response = await sendTokenRequest(options, scheme, scope, credential, deadline.signal);
      if (isSuccess(response.status)) return await readToken(response, what);
      discardBody(response);
      if (!isRetryableStatus(response.status) || attempt >= options.retry.attempts) {
        const who = credential ? 'the configured credentials' : 'anonymous access';
        const kind = response.status === 401 ? 'unauthorized' : kindOfStatus(response.status);
        throw new RegistryError(kind, `${what} answered ${response.status}: ${scheme.realm.host} refused ${who}`, response.status);
      }
      retryAfter = response.header('retry-after');
    } catch (err) {
      throw failureOf(err, deadline, signal, what);
    } finally {
      deadline.clear();
    }
    await sleep(backoffDelay(options.retry, attempt, retryAfter), signal);
  }
}

async function readToken(response: HttpResponse, what: string): Promise<IssuedToken> {
  const body = await readBodyCapped(response, MAX_TOKEN_RESPONSE_BYTES, `the answer to the ${what}`);
  const parsed = parseTokenResponse.parse(body, `the answer to the ${what}`);
  const value = parsed.token ?? parsed.access_token;
  if (!value) throw new RegistryError('invalid-response', `the answer to the ${what} holds no token`);
  return { value: new Secret(value), expiresIn: parsed.expires_in ?? null };
}

async function sendTokenRequest(
  options: AuthenticatorOptions,
  scheme: BearerScheme,
  scope: string,
  credential: RegistryCredential | null,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: 'application/json' };
  if (credential?.kind === 'identity-token') {
    // An identity token is an OAuth2 refresh token: docker exchanges it with a form POST.
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.token.reveal(), client_id: 'ecrscan' });
    if (scheme.service) form.set('service', scheme.service);
    if (scope) form.set('scope', scope);
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return options.http(scheme.realm, { method: 'POST', headers, body: form.toString(), signal });
  }
  const url = new URL(scheme.realm);
  if (scheme.service) url.searchParams.set('service', scheme.service);
  if (scope) url.searchParams.set('scope', scope);
  if (credential?.kind === 'basic') {
    url.searchParams.set('account', credential.username);
    headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password.reveal()}`).toString('base64')}`;
  }
  return options.http(url, { method: 'GET', headers, signal });
}
