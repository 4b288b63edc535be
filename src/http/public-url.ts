import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/** `host[:port]` as a forwarded header may carry it: DNS labels, an IPv4 address or a bracketed IPv6 one. */
const FORWARDED_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** Where links in feeds point: what the deployment says, never what a client's `Host` header claims. */
export interface PublicUrlOptions {
  /** `ECRSCAN_PUBLIC_URL`, without a trailing slash. */
  publicUrl: string | null;
  /** `ECRSCAN_TRUSTED_PROXIES`: addresses and CIDR ranges whose `X-Forwarded-Host`/`-Proto` are believed. */
  trustedProxies: readonly string[];
}

/**
 * The scheme and authority links are built on. In order: the configured public URL; the
 * `X-Forwarded-Host` and `X-Forwarded-Proto` of a request that came straight from a
 * trusted proxy; else the address the connection reached (which the client cannot choose).
 * The `Host` header is never used: a feed reader behind a shared cache would otherwise be
 * handed links to whatever host another client named.
 */
export function createPublicBase(options: PublicUrlOptions): (request: FastifyRequest) => string {
  const proxies = trustedProxyList(options.trustedProxies);
  return (request) => {
    if (options.publicUrl) return options.publicUrl;
    const socket = request.raw.socket;
    const peer = socket?.remoteAddress;
    if (proxies && peer && isTrusted(proxies, peer)) {
      const host = lastEntry(request.headers['x-forwarded-host']);
      const proto = lastEntry(request.headers['x-forwarded-proto']);
      if (host && FORWARDED_HOST.test(host)) return `${proto === 'https' ? 'https' : 'http'}://${host}`;
    }
    const local = socket?.localAddress;
    if (!local) return 'http://localhost';
    const address = local.startsWith('::ffff:') ? local.slice(7) : local;
    return `http://${isIP(address) === 6 ? `[${address}]` : address}:${socket.localPort ?? 80}`;
  };
}

function lastEntry(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[header.length - 1] : header;
  const last = value?.split(',').pop()?.trim();
  return last ? last : null;
}

function isTrusted(proxies: BlockList, peer: string): boolean {
  const address = peer.startsWith('::ffff:') ? peer.slice(7) : peer;
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function trustedProxyList(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseProxyEntry(entry);
    if (!parsed) throw new Error(`not an IP address or CIDR range: ${entry}`);
    if (parsed.prefix === null) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`); null when it is neither. */
export function parseProxyEntry(entry: string): { address: string; prefix: number | null; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return null;
  const family = version === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) return { address, prefix: null, family };
  const prefix = Number(prefixText);
  if (!/^[0-9]{1,3}$/.test(prefixText) || prefix > (version === 6 ? 128 : 32)) return null;
  return { address, prefix, family };
}
