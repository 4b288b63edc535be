import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { createLogger } from './logger.js';

it('redacts secrets from log lines', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.info({ req: { headers: { authorization: 'Bearer s3cr3t-token-value' } }, config: { apiToken: 'another-s3cr3t' } }, 'request');
  logger.info({ credential: { username: 'ci', password: 'hunter2-pass' }, aws: { secretAccessKey: 'wJalrXUtnFEMI' } }, 'registry login');
  const text = lines.join('');
  for (const secret of ['s3cr3t-token-value', 'another-s3cr3t', 'hunter2-pass', 'wJalrXUtnFEMI']) assert.ok(!text.includes(secret), secret);
  assert.match(text, /\[redacted\]/);
  assert.match(text, /"username":"ci"/);
});
