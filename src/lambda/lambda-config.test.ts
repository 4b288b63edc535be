import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config.js';
import { loadLambdaConfig } from './lambda-config.js';

const DATABASE = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:ecrscan/db-AbCdEf';
const TOKEN = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:ecrscan/token-AbCdEf';

function reader(values: Record<string, string>) {
  const read: string[] = [];
  const readSecret = async (arn: string): Promise<string> => {
    read.push(arn);
    const value = values[arn];
    if (value === undefined) throw new Error(`no secret ${arn}`);
    return value;
  };
  return { read, readSecret };
}

describe('the Lambda configuration', () => {
  it('builds DATABASE_URL from an RDS secret and takes the API token from its secret', async () => {
    const { read, readSecret } = reader({
      [DATABASE]: JSON.stringify({ engine: 'postgres', host: 'db.cluster-x.us-east-2.rds.amazonaws.com', port: 5432, username: 'ecrscan', password: 'p@ss/w:rd#1', dbname: 'ecrscan' }),
      [TOKEN]: 'a-token-of-forty-eight-characters-0123456789abcd\n',
    });
    const config = await loadLambdaConfig({ ECRSCAN_DATABASE_SECRET: DATABASE, ECRSCAN_API_TOKEN_SECRET: TOKEN }, 'api', readSecret);
    assert.equal(config.databaseUrl, 'postgres://ecrscan:p%40ss%2Fw%3Ard%231@db.cluster-x.us-east-2.rds.amazonaws.com:5432/ecrscan');
    assert.equal(new URL(config.databaseUrl).password, 'p%40ss%2Fw%3Ard%231');
    assert.equal(config.apiToken, 'a-token-of-forty-eight-characters-0123456789abcd');
    assert.equal(config.mode, 'api');
    assert.deepEqual(read.sort(), [DATABASE, TOKEN].sort());
  });

  it('reads no secret when none is named, and takes DATABASE_URL as it is', async () => {
    const { read, readSecret } = reader({});
    const config = await loadLambdaConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }, 'scheduler', readSecret);
    assert.equal(config.databaseUrl, 'postgres://u:p@h:5432/d');
    assert.equal(config.mode, 'scheduler');
    assert.deepEqual(read, []);
  });

  it('refuses a database secret that is not JSON or lacks a field, with a one-line message naming it', async () => {
    for (const [value, pattern] of [
      ['not json', /is not JSON/],
      [JSON.stringify({ host: 'h', username: 'u' }), /must hold host, username and password/],
      [JSON.stringify({ host: 'h', username: 'u', password: 'p', port: 'five' }), /must hold host/],
    ] as const) {
      const { readSecret } = reader({ [DATABASE]: value });
      await assert.rejects(loadLambdaConfig({ ECRSCAN_DATABASE_SECRET: DATABASE }, 'api', readSecret), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, pattern);
        assert.ok(err.message.includes(DATABASE));
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
  });

  it('refuses a secret name that is not a Secrets Manager ARN before reading anything', async () => {
    const { read, readSecret } = reader({});
    await assert.rejects(loadLambdaConfig({ ECRSCAN_API_TOKEN_SECRET: 'my-token' }, 'api', readSecret), /ECRSCAN_API_TOKEN_SECRET must be the ARN of a Secrets Manager secret/);
    assert.deepEqual(read, []);
  });
});
