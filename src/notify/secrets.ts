import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
// 24 random bytes: the Standard Webhooks specification asks for 24 to 64.
const SECRET_BYTES = 24;
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export function generateSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** A `whsec_` secret whose key is 24 to 64 bytes of base64. */
export function isValidSecret(secret: string): boolean {
  if (!SECRET_PATTERN.test(secret)) return false;
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  return key.length >= SECRET_BYTES && key.length <= 64;
}

/** `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed with the secret's decoded bytes. */
export function signature(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-*` headers of one attempt; during a rotation's overlap both secrets sign. */
export function webhookHeaders(secrets: string[], messageId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signature(secret, messageId, timestampSeconds, body)).join(' '),
  };
}
