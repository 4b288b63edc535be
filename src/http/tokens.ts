import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError } from '../config.js';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who sent a request: a token's name (never the token) and what it may do. */
export interface Principal {
  name: string;
  role: Role;
}

/** A token the server accepts, kept only as the SHA-256 of its text. */
export interface ApiToken extends Principal {
  sha256: Buffer;
}

/** The name the single `ECRSCAN_API_TOKEN` goes by in logs and `createdBy` fields. */
export const API_TOKEN_NAME = 'api-token';
const TOKEN_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

export const TokensFile = Type.Object(
  {
    tokens: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: TOKEN_NAME_PATTERN }),
          role: Type.Union(ROLES.map((role) => Type.Literal(role))),
          sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);
export type TokensFile = Static<typeof TokensFile>;

export function sha256Of(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Does `held` allow what `needed` asks? Roles are ordered: admin ⊃ write ⊃ read. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/**
 * The token whose hash matches, if any. Every stored hash is compared, in constant time
 * (hashes have one length whatever the token's), so the time taken tells nothing about
 * which token, or how much of one, was right.
 */
export function findToken(tokens: readonly ApiToken[], presented: string): ApiToken | null {
  const hash = sha256Of(presented);
  let found: ApiToken | null = null;
  for (const token of tokens) {
    if (timingSafeEqual(hash, token.sha256) && found === null) found = token;
  }
  return found;
}

/** Parses a tokens file's text; a ConfigError names the file and the entry at fault. */
export function parseTokensFile(text: string, path: string): ApiToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`ECRSCAN_TOKENS_FILE ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const issue = Value.Errors(TokensFile, parsed)[0];
  if (issue) {
    const where = issue.instancePath === '' ? 'the top level' : issue.instancePath.slice(1).replaceAll('/', '.');
    throw new ConfigError(
      `ECRSCAN_TOKENS_FILE ${path}: ${where} ${issue.message}; expected {"tokens":[{"name":"…","role":"read|write|admin","sha256":"64 hex digits"}]}`,
    );
  }
  const file = parsed as TokensFile;
  const names = new Set<string>();
  return file.tokens.map((entry) => {
    if (names.has(entry.name)) throw new ConfigError(`ECRSCAN_TOKENS_FILE ${path}: the name "${entry.name}" appears twice`);
    names.add(entry.name);
    return { name: entry.name, role: entry.role, sha256: Buffer.from(entry.sha256, 'hex') };
  });
}

/** Every token the server accepts: the file's, and `ECRSCAN_API_TOKEN` as an admin. */
export async function loadTokens(options: { apiToken: string | null; tokensFile: string | null }): Promise<ApiToken[]> {
  const tokens: ApiToken[] = [];
  if (options.tokensFile !== null) {
    let text: string;
    try {
      text = await readFile(options.tokensFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`ECRSCAN_TOKENS_FILE ${options.tokensFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    tokens.push(...parseTokensFile(text, options.tokensFile));
  }
  if (options.apiToken !== null) tokens.push({ name: API_TOKEN_NAME, role: 'admin', sha256: sha256Of(options.apiToken) });
  return tokens;
}
