import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface Client {
  /** The client's address: the connection's peer, or what trusted proxies say it was. */
  address: string;
  /** The protocol the client used to reach the first trusted proxy (or this listener). */
  protocol: 'http' | 'https';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is on the other end; every limit, throttle, log and event uses this, never `request.ip`. */
    client: Client;
  }
}

/** `::ffff:10.0.0.1` is the IPv4 peer 10.0.0.1 on a dual-stack socket. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Parses `TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks (`10.1.2.0/24`, `::1`).
 * Throws with the entry that is wrong, for the config check at boot.
 */
export function trustedProxies(spec: string): BlockList | undefined {
  const entries = spec.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new Error(`"${entry}" is not an IP address or CIDR block`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** One X-Forwarded-For hop as proxies write it: `1.2.3.4`, `1.2.3.4:5678` (Azure Application Gateway), `[::1]:443`, `::1`. */
function hopAddress(hop: string): string | undefined {
  const value = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  const candidate = bracketed ? bracketed[1]! : /^[\d.]+:\d+$/.test(value) ? value.slice(0, value.lastIndexOf(':')) : value;
  return isIP(candidate) ? plain(candidate) : undefined;
}

function isTrusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Whose `traceparent` the public listener continues: the trusted proxies' (the Application
 * Gateway's), never a client's, who could otherwise pick trace ids and force sampling.
 */
export function traceparentTrust(config: { TRUSTED_PROXIES: string }): (req: IncomingMessage) => boolean {
  const proxies = trustedProxies(config.TRUSTED_PROXIES);
  return (req) => {
    const address = plain(req.socket.remoteAddress ?? '');
    return proxies !== undefined && address !== '' && isTrusted(proxies, address);
  };
}

/**
 * The client behind the connection. Forwarded headers are believed only when the peer is a
 * trusted proxy; then X-Forwarded-For is read from the right (each trusted proxy appends the
 * address it saw) up to the first address that is not a trusted proxy. A direct caller cannot
 * forge either header: from an untrusted peer they are ignored.
 */
export function resolveClient(peer: string | undefined, headers: FastifyRequest['headers'], trusted: BlockList | undefined, secure = false): Client {
  const direct: Client = { address: plain(peer ?? ''), protocol: secure ? 'https' : 'http' };
  if (!trusted || !direct.address || !isTrusted(trusted, direct.address)) return direct;
  const forwardedFor = headers['x-forwarded-for'];
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').filter((h) => h.trim() !== '');
  let address = direct.address;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i]!);
    // garbage a client put in front of the real hops: the last good hop is the best we know
    if (!hop) break;
    address = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  const proto = String(headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase();
  return { address, protocol: proto === 'https' || proto === 'http' ? proto : direct.protocol };
}

const RESOLVED = Symbol('strata.client');

export const clientPlugin = fp(
  async (app: FastifyInstance, opts: { trustedProxies: string }) => {
    const trusted = trustedProxies(opts.trustedProxies);
    // resolved when first read, so it is there for every hook, even after an early refusal
    app.decorateRequest('client', {
      getter(this: FastifyRequest & { [RESOLVED]?: Client }) {
        this[RESOLVED] ??= resolveClient(this.socket.remoteAddress, this.headers, trusted, 'encrypted' in this.socket);
        return this[RESOLVED];
      },
    });
  },
  { name: 'gateway-client' },
);
