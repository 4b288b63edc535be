import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { generateSecret, isValidSecret, webhookHeaders } from './secrets.js';

it('generates secrets the Standard Webhooks library accepts, and signs as it verifies', () => {
  const secret = generateSecret();
  assert.ok(isValidSecret(secret));
  const body = JSON.stringify({ hello: 'world' });
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = webhookHeaders([secret], 'msg_1', timestamp, body);
  assert.deepEqual(new Webhook(secret).verify(body, headers), { hello: 'world' });
  assert.equal(headers['webhook-signature'], new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
  assert.throws(() => new Webhook(generateSecret()).verify(body, headers), 'another secret does not verify');
  assert.throws(() => new Webhook(secret).verify(`${body} `, headers), 'a changed body does not verify');
});

it('refuses secrets that are not whsec_ and 24 to 64 bytes', () => {
  assert.ok(!isValidSecret('abc'));
  assert.ok(!isValidSecret(`whsec_${Buffer.alloc(16).toString('base64')}`));
  assert.ok(isValidSecret(`whsec_${Buffer.alloc(64, 1).toString('base64')}`));
  assert.ok(!isValidSecret(`whsec_${Buffer.alloc(65, 1).toString('base64')}`));
});
