import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequestBody, sendJson, startHttpServer, type TestHttpServer } from './http-server.js';

/**
 * A token server in the shape of distribution's token authentication: it checks Basic
 * credentials (or an OAuth2 refresh token), and issues ES256 JWTs whose `x5c` header
 * carries a self-signed certificate, which the reference registry verifies against its
 * `rootcertbundle`.
 */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate of the signing key, for the registry's `rootcertbundle`. */
  certPath: string;
  server: TestHttpServer;
  /** Scopes asked for, with the account that asked (null: anonymous). */
  issued: { scope: string; account: string | null }[];
  /** Claims of a valid token, or null. */
  verifyToken(token: string): TokenClaims | null;
  /** A token for pushing test images (used by the image builder, not by the code under test). */
  tokenFor(account: string, repository: string, actions: string[]): string;
  close(): Promise<void>;
}

export interface TokenClaims {
  sub: string;
  aud: string;
  access: { type: string; name: string; actions: string[] }[];
}

export interface TokenServerOptions {
  users: Record<string, string>;
  /** Refresh tokens (docker's `identitytoken`) and the account each stands for. */
  refreshTokens?: Record<string, string>;
  /** May an anonymous client pull? */
  anonymousPull?: boolean;
  expiresIn?: number;
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=test-token-issuer',
    '-addext', 'keyUsage=digitalSignature,keyCertSign',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  const privateKey = createPrivateKey(await readFile(keyPath));
  const certPem = (await readFile(certPath)).toString();
  const publicKey = createPublicKey(certPem);
  const x5c = certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const service = 'test-registry';
  const issuer = 'test-issuer';
  const issued: TokenServer['issued'] = [];
  const expiresIn = options.expiresIn ?? 300;

  const tokenFor = (account: string, repository: string, actions: string[]): string =>
    signJwt(privateKey, x5c, {
      iss: issuer,
      sub: account,
      aud: service,
      exp: Math.floor(Date.now() / 1000) + expiresIn,
      nbf: Math.floor(Date.now() / 1000) - 10,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      access: repository ? [{ type: 'repository', name: repository, actions }] : [],
    });

  const server = await startHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let account: string | null = null;
    let scope = url.searchParams.get('scope') ?? '';
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readRequestBody(req));
      account = options.refreshTokens?.[form.get('refresh_token') ?? ''] ?? null;
      scope = form.get('scope') ?? '';
      if (!account || form.get('grant_type') !== 'refresh_token') return sendJson(res, 401, { error: 'invalid_grant' });
    } else {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (basic) {
        const [user, ...rest] = Buffer.from(basic, 'base64').toString().split(':');
        if (!user || options.users[user] !== rest.join(':')) return sendJson(res, 401, { details: 'wrong credentials' });
        account = user;
      } else if (!options.anonymousPull) {
        return sendJson(res, 401, { details: 'credentials required' }, { 'www-authenticate': 'Basic realm="token"' });
      }
    }
    issued.push({ scope, account });
    const [type, name, actions] = scope.split(':');
    const granted = (actions ?? '').split(',').filter((action) => action === 'pull' || (account !== null && action === 'push'));
    const token = tokenFor(account ?? '', type === 'repository' ? (name ?? '') : '', granted);
    sendJson(res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
  });

  return {
    realm: `${server.url}/token`,
    service,
    issuer,
    certPath,
    server,
    issued,
    tokenFor,
    verifyToken: (token) => verifyJwt(publicKey, token, service),
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function signJwt(key: KeyObject, x5c: string, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [x5c] }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

function verifyJwt(key: KeyObject, token: string, audience: string): TokenClaims | null {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const valid = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!valid) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as TokenClaims & { exp: number };
  if (claims.aud !== audience || claims.exp * 1000 < Date.now()) return null;
  return claims;
}
