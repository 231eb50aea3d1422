import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

// Where a webhook may be sent. A URL is checked when it is registered and again at each
// delivery, on the addresses its name resolves to then; the connection is made to the address
// that was checked (the socket's lookup is ours), so a name that resolves to a public address at
// the check and to 127.0.0.1 at the connection (DNS rebinding) reaches nothing.

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Why a URL or an address is refused: said to the caller as it is (it names only their own input). */
export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}

export const MAX_URL_LENGTH = 2_048;

/** One answer for a name that does not resolve, resolves to nothing, or to an address refused. */
const notPublic = (host: string) => `${host} cannot receive webhooks: it must resolve to public addresses only.`;

/** `127.0.0.1/32,::1/128` → CIDRs; an entry that is not a CIDR throws. */
export function parseAllowList(text: string): Cidr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      try {
        return ipaddr.parseCIDR(entry);
      } catch {
        throw new Error(`"${entry}" is not a CIDR (such as 127.0.0.1/32 or ::1/128)`);
      }
    });
}

/** The address as one family: an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it maps. */
function normalised(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

function inAllowList(address: ipaddr.IPv4 | ipaddr.IPv6, allow: readonly Cidr[]): boolean {
  // one family at a time: ipaddr's match() takes a range of its own family only
  return allow.some(([range, bits]) =>
    address.kind() === 'ipv4' ? range.kind() === 'ipv4' && (address as ipaddr.IPv4).match(range as ipaddr.IPv4, bits) : range.kind() === 'ipv6' && (address as ipaddr.IPv6).match(range as ipaddr.IPv6, bits),
  );
}

/**
 * Whether an address may be reached: a public unicast address, or one the allow-list names.
 * ipaddr.js names every special range (private, loopback, link-local, CGNAT, ULA, multicast,
 * reserved, 6to4, Teredo, NAT64, ...); only `unicast` is public.
 */
export function addressAllowed(address: string, allow: readonly Cidr[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = normalised(address);
  if (inAllowList(ip, allow)) return true;
  return ip.range() === 'unicast' && !inAllowList(ip, PLATFORM_ADDRESSES);
}

/**
 * Public-looking addresses that are the cloud platform's own: Azure's WireServer (host agent,
 * DNS, health probes), reachable from every VM and pod. Refused unless the allow-list names them.
 */
const PLATFORM_ADDRESSES: readonly Cidr[] = [ipaddr.parseCIDR('168.63.129.16/32')];

export interface CheckedUrl {
  url: URL;
  /** The host as the socket is given it: a name to resolve, or an address literal. */
  host: string;
  /** The host is an address literal (no lookup happens for it). */
  literal: boolean;
}

/**
 * The URL's form: http(s) only, no credentials, no fragment, an address literal checked at once.
 * WHATWG parsing turns `http://0x7f000001/` and `http://2130706433/` into 127.0.0.1 first, so
 * every spelling of an address is checked as the address it is.
 */
export function checkUrlForm(raw: string, allow: readonly Cidr[]): CheckedUrl {
  if (raw.length > MAX_URL_LENGTH) throw new TargetRefused(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('The URL cannot be read.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefused('Only https URLs can receive webhooks.');
  if (url.username !== '' || url.password !== '') throw new TargetRefused('The URL may not carry a user name or password.');
  if (url.hash !== '') throw new TargetRefused('The URL may not have a fragment.');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new TargetRefused('The URL has no host.');
  const literal = ipaddr.isValid(host);
  if (literal) checkAddresses(url, [host], allow);
  return { url, host, literal };
}

/** Every address must be allowed (one private address among public ones refuses the name); http only to the allow-list. */
export function checkAddresses(url: URL, addresses: readonly string[], allow: readonly Cidr[]): void {
  if (addresses.length === 0) throw new TargetRefused(notPublic(url.hostname));
  for (const address of addresses) {
    if (!addressAllowed(address, allow)) throw new TargetRefused(notPublic(url.hostname));
  }
  if (url.protocol === 'http:' && !addresses.every((a) => ipaddr.isValid(a) && inAllowList(normalised(a), allow))) {
    throw new TargetRefused('Only https URLs can receive webhooks.');
  }
}

/** Resolves a name to all its addresses (the resolver tests inject one). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** A URL checked in full, its name resolved now: what registration runs, and each delivery before it connects. */
export async function checkTarget(raw: string, allow: readonly Cidr[], resolve: Resolver = systemResolver): Promise<CheckedUrl> {
  const checked = checkUrlForm(raw, allow);
  if (checked.literal) return checked;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(checked.host);
  } catch {
    // the same words as a name that resolves to a private address: what our resolver sees of
    // the cluster's own names (and their addresses) is not for the caller to map
    throw new TargetRefused(notPublic(checked.host));
  }
  checkAddresses(checked.url, addresses.map((a) => a.address), allow);
  return checked;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A socket `lookup` that resolves the name, refuses it unless every address is allowed, and
 * hands the socket exactly the addresses it checked: the connection is pinned to them.
 */
export function pinnedLookup(url: URL, allow: readonly Cidr[], resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        try {
          checkAddresses(url, addresses.map((a) => a.address), allow);
        } catch (error) {
          callback(Object.assign(error as Error, { code: 'ESSRF' }), '', 4);
          return;
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}
