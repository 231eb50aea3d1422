import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { TargetRefused, addressAllowed, checkTarget, checkUrlForm, parseAllowList, pinnedLookup, type Resolver } from '../src/delivery/targets.js';

const none = parseAllowList('');
/** A resolver that knows a few names, as /etc/hosts or a hostile DNS server would answer them. */
const names: Record<string, LookupAddress[]> = {
  'public.example': [{ address: '93.184.215.14', family: 4 }],
  'localtest.me': [{ address: '127.0.0.1', family: 4 }],
  'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  'intranet.example': [{ address: '10.1.2.3', family: 4 }],
  'six.example': [{ address: '::1', family: 6 }],
  'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
  // one public and one private address: the name is refused (the socket might pick either)
  'mixed.example': [{ address: '93.184.215.14', family: 4 }, { address: '192.168.1.1', family: 4 }],
  'v6public.example': [{ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
};
const resolver: Resolver = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return found;
};

describe('addresses a webhook may reach', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00::1', 'ULA'],
    ['fc00::1', 'ULA'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['ff02::1', 'IPv6 multicast'],
    ['168.63.129.16', "Azure's WireServer"],
    ['::ffff:168.63.129.16', "IPv4-mapped WireServer"],
    ['not an address', 'not an address'],
  ])('%s (%s) is refused', (address) => {
    expect(addressAllowed(address, none)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'])('%s (public) is allowed', (address) => {
    expect(addressAllowed(address, none)).toBe(true);
  });

  it('the allow-list lets exactly its ranges through', () => {
    const allow = parseAllowList('127.0.0.2/32, ::1/128');
    expect(addressAllowed('127.0.0.2', allow)).toBe(true);
    expect(addressAllowed('::ffff:127.0.0.2', allow)).toBe(true);
    expect(addressAllowed('::1', allow)).toBe(true);
    expect(addressAllowed('127.0.0.1', allow)).toBe(false);
    expect(addressAllowed('10.0.0.1', allow)).toBe(false);
  });

  it('an allow-list entry that is not a CIDR is refused at start-up', () => {
    expect(() => parseAllowList('127.0.0.1')).toThrow(/not a CIDR/);
    expect(() => parseAllowList('localhost/8')).toThrow(/not a CIDR/);
  });
});

describe('URLs at registration (the SSRF probe list)', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.5/hook',
    'https://[::1]/hook',
    'https://[::ffff:7f00:1]/hook',
    'http://0x7f000001/hook',
    'https://2130706433/hook',
    'https://0177.0.0.1/hook',
    'https://127.1/hook',
    'https://localtest.me/hook',
    'https://metadata.example/hook',
    'https://intranet.example/hook',
    'https://six.example/hook',
    'https://mapped.example/hook',
    'https://mixed.example/hook',
    'https://nowhere.example/hook',
    'https://localhost/hook',
    'ftp://public.example/hook',
    'file:///etc/passwd',
    'https://user:pass@public.example/hook',
    'https://public.example/hook#frag',
    'http://public.example/hook',
    'not a url',
    `https://public.example/${'a'.repeat(2_100)}`,
  ])('%s is refused', async (url) => {
    await expect(checkTarget(url, none, resolver)).rejects.toBeInstanceOf(TargetRefused);
  });

  it.each(['https://public.example/hook', 'https://v6public.example:8443/x?y=1', 'https://93.184.215.14/hook', 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook'])('%s is allowed', async (url) => {
    await expect(checkTarget(url, none, resolver)).resolves.toMatchObject({ url: expect.any(URL) });
  });

  it('plain http only to the allow-list; a name counts by what it resolves to', async () => {
    const allow = parseAllowList('127.0.0.0/8');
    await expect(checkTarget('http://localtest.me:9999/hook', allow, resolver)).resolves.toMatchObject({ host: 'localtest.me' });
    await expect(checkTarget('http://127.0.0.1:9999/hook', allow, resolver)).resolves.toMatchObject({ literal: true });
    await expect(checkTarget('http://public.example/hook', allow, resolver)).rejects.toThrow(/Only https/);
    await expect(checkTarget('https://intranet.example/hook', allow, resolver)).rejects.toThrow(/must resolve to public addresses only/);
    // what our resolver sees is not told: a private address, no address and no answer read alike, and none is named
    const said = async (url: string, resolve: Parameters<typeof checkTarget>[2]) => checkTarget(url, allow, resolve).then(() => 'allowed', (e: Error) => e.message);
    const refusals = [
      await said('https://db.internal/hook', async () => [{ address: '10.1.2.3', family: 4 }]),
      await said('https://db.internal/hook', async () => []),
      await said('https://db.internal/hook', async () => Promise.reject(new Error('ENOTFOUND'))),
    ];
    expect(new Set(refusals).size).toBe(1);
    expect(refusals[0]).not.toContain('10.1.2.3');
  });

  it('an address literal is refused without a lookup', () => {
    expect(() => checkUrlForm('http://[::1]:80/', none)).toThrow(TargetRefused);
  });
});

describe("the socket's lookup at delivery", () => {
  const lookup = (url: string, resolve: Resolver, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) => {
      pinnedLookup(new URL(url), none, resolve)(new URL(url).hostname, all ? { all: true } : {}, (err, address) => done({ err, address }));
    });

  it('hands the socket the addresses it checked', async () => {
    expect(await lookup('https://public.example/', resolver, false)).toEqual({ err: null, address: '93.184.215.14' });
    expect(await lookup('https://public.example/', resolver, true)).toEqual({ err: null, address: [{ address: '93.184.215.14', family: 4 }] });
  });

  it('refuses a name that now resolves to a private address (DNS rebinding after registration)', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => (calls++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    await expect(checkTarget('https://rebind.example/', none, rebinding)).resolves.toBeDefined();
    const { err } = await lookup('https://rebind.example/', rebinding, true);
    expect(err?.code).toBe('ESSRF');
  });
});
