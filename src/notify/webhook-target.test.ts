import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkWebhookUrl, isPrivateAddress, WebhookUrlError } from './webhook-target.js';

it('knows loopback, private, link-local and mapped addresses', () => {
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '224.0.0.1']) {
    assert.ok(isPrivateAddress(address), address);
  }
  for (const address of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    assert.ok(!isPrivateAddress(address), address);
  }
});

it('accepts http(s) URLs without credentials and refuses the rest with a reason', () => {
  assert.equal(checkWebhookUrl('https://hooks.slack.com/services/T0/B0/x', false).host, 'hooks.slack.com');
  const refused: Array<[string, RegExp]> = [
    ['ftp://example.com/x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['not a url', /valid absolute URL/],
    ['https://user:pass@example.com/x', /credentials/],
    ['https://token@example.com/x', /credentials/],
    ['http://127.0.0.1:8080/x', /private/],
    ['http://[::1]/x', /private/],
    ['http://169.254.169.254/latest/meta-data', /private/],
    ['http://[::ffff:10.0.0.1]/x', /private/],
    [`https://example.com/${'x'.repeat(3000)}`, /at most/],
  ];
  for (const [url, reason] of refused) {
    assert.throws(() => checkWebhookUrl(url, false), (err: unknown) => err instanceof WebhookUrlError && reason.test(err.message), url);
  }
  assert.equal(checkWebhookUrl('http://127.0.0.1:8080/x', true).port, '8080', 'allowed when private targets are');
});
