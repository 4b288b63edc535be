import { tmpdir } from 'node:os';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { type Config, ConfigError, loadConfig, type RunMode } from '../config.js';

/** The secret RDS and Aurora write for a database's credentials (and the shape asked of an existing database's). */
const DatabaseSecret = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]{1,5}$' })])),
  username: Type.String({ minLength: 1 }),
  password: Type.String({ minLength: 1 }),
  dbname: Type.Optional(Type.String({ minLength: 1 })),
});
type DatabaseSecret = Static<typeof DatabaseSecret>;
const databaseSecret = Compile(DatabaseSecret);

/** What reads a secret's string: Secrets Manager through the AWS SDK's credential chain, or a test's own. */
export type SecretReader = (arn: string) => Promise<string>;

export function secretsManagerReader(): SecretReader {
  const client = new SecretsManagerClient({});
  return async (arn) => {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (typeof answer.SecretString !== 'string') throw new ConfigError(`the secret ${arn} has no string value`);
    return answer.SecretString;
  };
}

/**
 * The configuration of a Lambda function: the environment as `ecrscan serve` reads it, in
 * the given role, with the database URL and the API token taken from the Secrets Manager
 * secrets it names (read once, at cold start, never put in the function's environment).
 */
export async function loadLambdaConfig(env: NodeJS.ProcessEnv, mode: RunMode, readSecret: SecretReader = secretsManagerReader()): Promise<Readonly<Config>> {
  const first = loadConfig(env, { mode });
  // Both at once: each is a round trip to Secrets Manager within the cold start.
  const [database, token] = await Promise.all([
    first.databaseSecret ? readSecret(first.databaseSecret) : null,
    first.apiTokenSecret ? readSecret(first.apiTokenSecret) : null,
  ]);
  const resolved: NodeJS.ProcessEnv = { ...env };
  if (database !== null && first.databaseSecret) resolved.DATABASE_URL = databaseUrlOf(database, first.databaseSecret);
  if (token !== null) resolved.ECRSCAN_API_TOKEN = token.trim();
  return loadConfig(resolved, { mode });
}

function databaseUrlOf(text: string, arn: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`the database secret ${arn} is not JSON`);
  }
  if (!databaseSecret.Check(parsed)) {
    throw new ConfigError(`the database secret ${arn} must hold host, username and password (and may hold port and dbname), as RDS writes it`);
  }
  const secret: DatabaseSecret = parsed;
  const url = new URL('postgres://placeholder');
  url.hostname = secret.host;
  url.port = String(secret.port ?? 5432);
  url.username = encodeURIComponent(secret.username);
  url.password = encodeURIComponent(secret.password);
  url.pathname = `/${encodeURIComponent(secret.dbname ?? 'postgres')}`;
  return url.toString();
}

/**
 * A function's only writable directory is the temporary one: the service's working files
 * (advisory downloads under ./data) go there.
 */
export function useWritableDirectory(): void {
  process.chdir(tmpdir());
}
