import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';

/** A webhook URL that may not be used, with the reason in words a user can act on. */
export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError';
}

export const MAX_URL_LENGTH = 2048;

/**
 * Addresses a webhook may not reach unless private targets are allowed: loopback,
 * "this network", private (RFC 1918, RFC 4193), shared (RFC 6598), link-local (cloud
 * metadata lives at 169.254.169.254), multicast and reserved ranges.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address it carries.
  const mapped = /^::ffff:([0-9.]+)$/i.exec(address);
  if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4');
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL as an IP address when it is one (`[::1]` → `::1`), else null. */
function literalAddress(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : null;
}

/**
 * Checks a webhook URL where it enters: http(s) only, no credentials, and, unless private
 * targets are allowed, no private address literal. Names are checked again when used,
 * after they are resolved.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookUrlError(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('url is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlError('url must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw new WebhookUrlError('url must not carry credentials; the secret signs every message');
  if (url.hash !== '') throw new WebhookUrlError('url must not have a fragment');
  const literal = literalAddress(url);
  if (literal && !allowPrivate && isPrivateAddress(literal)) {
    throw new WebhookUrlError(`url points at a private, loopback or link-local address (${literal}); set ECRSCAN_WEBHOOK_ALLOW_PRIVATE to allow it`);
  }
  return url;
}

/**
 * A DNS lookup that refuses names resolving to private addresses. Used as the connection's
 * own lookup, so the address checked is the address connected to: a name cannot resolve
 * harmlessly for a check and privately for the connection.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
  dnsLookup(hostname, { all: true, family }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, []);
    const blocked = addresses.find((entry) => isPrivateAddress(entry.address));
    if (blocked) {
      const refusal: NodeJS.ErrnoException = new WebhookUrlError(`${hostname} resolves to a private, loopback or link-local address (${blocked.address})`);
      refusal.code = 'EPRIVATEADDRESS';
      return callback(refusal, []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
};

export interface WebhookAgentOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** Connections kept per origin: many subscriptions may share one receiver. */
  connections: number;
}

/** The HTTP agent every delivery goes through; it never follows redirects (undici's request does not). */
export function createWebhookAgent(options: WebhookAgentOptions): Agent {
  return new Agent({
    connections: options.connections,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    ...(options.allowPrivate ? {} : { connect: { lookup: guardedLookup } }),
  });
}

/** Literal private addresses bypass DNS (and so the guarded lookup): they are refused before connecting. */
export function refusedLiteral(url: URL, allowPrivate: boolean): string | null {
  const literal = literalAddress(url);
  return literal && !allowPrivate && isPrivateAddress(literal) ? literal : null;
}

/**
 * The URL as the API shows it back: scheme, host and port. Chat services (Slack, Teams,
 * Discord) put the credential in the path, and secrets never appear in API output.
 */
export function redactedUrl(raw: string): string {
  const url = new URL(raw);
  const hidden = url.pathname !== '/' || url.search !== '';
  return `${url.origin}${hidden ? '/…' : '/'}`;
}
