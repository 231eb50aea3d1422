import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { resolveClient, traceparentTrust, trustedProxies } from '../src/plugins/client.js';

const appGateway = trustedProxies('10.0.3.0/24, fd00::/64')!;

describe('trusted proxies', () => {
  it('parses addresses and CIDR blocks, and names a wrong entry', () => {
    expect(trustedProxies('')).toBeUndefined();
    expect(trustedProxies(' , ')).toBeUndefined();
    expect(trustedProxies('127.0.0.1')!.check('127.0.0.1')).toBe(true);
    expect(trustedProxies('127.0.0.1')!.check('127.0.0.2')).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'localhost', '::1/129', '10.0.0.0/x', '10.0.0.0/']) {
      expect(() => trustedProxies(bad), bad).toThrow(/is not an IP address or CIDR block/);
    }
  });

  it('believes forwarded headers only from a trusted peer', () => {
    const forged = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' };
    expect(resolveClient('198.51.100.1', forged, appGateway)).toEqual({ address: '198.51.100.1', protocol: 'http' });
    expect(resolveClient('198.51.100.1', forged, undefined)).toEqual({ address: '198.51.100.1', protocol: 'http' });
    expect(resolveClient('10.0.3.4', forged, appGateway)).toEqual({ address: '203.0.113.7', protocol: 'https' });
  });

  it('reads X-Forwarded-For from the right, as Azure Application Gateway writes it (with ports)', () => {
    const peer = '10.0.3.4';
    expect(resolveClient(peer, { 'x-forwarded-for': '203.0.113.7:51234' }, appGateway).address).toBe('203.0.113.7');
    // a client's own header in front is not believed: the hop the proxy appended is
    expect(resolveClient(peer, { 'x-forwarded-for': '1.1.1.1, 203.0.113.7:51234' }, appGateway).address).toBe('203.0.113.7');
    // a chain of trusted proxies is walked through
    expect(resolveClient(peer, { 'x-forwarded-for': '203.0.113.7:1, 10.0.3.9:443' }, appGateway).address).toBe('203.0.113.7');
    expect(resolveClient(peer, { 'x-forwarded-for': '[2001:db8::1]:443' }, appGateway).address).toBe('2001:db8::1');
    expect(resolveClient(peer, { 'x-forwarded-for': '2001:db8::1' }, appGateway).address).toBe('2001:db8::1');
    // garbage stops the walk at the last good hop
    expect(resolveClient(peer, { 'x-forwarded-for': 'unknown, 203.0.113.7' }, appGateway).address).toBe('203.0.113.7');
    expect(resolveClient(peer, { 'x-forwarded-for': 'unknown' }, appGateway).address).toBe(peer);
    expect(resolveClient(peer, {}, appGateway).address).toBe(peer);
    // IPv4 peers on a dual-stack socket
    expect(resolveClient('::ffff:10.0.3.4', { 'x-forwarded-for': '203.0.113.7' }, appGateway).address).toBe('203.0.113.7');
    expect(resolveClient('fd00::5', { 'x-forwarded-for': '203.0.113.7' }, appGateway).address).toBe('203.0.113.7');
  });

  it('takes the protocol the client used, and nothing else', () => {
    const peer = '10.0.3.4';
    expect(resolveClient(peer, { 'x-forwarded-proto': 'HTTPS' }, appGateway).protocol).toBe('https');
    expect(resolveClient(peer, { 'x-forwarded-proto': 'https, http' }, appGateway).protocol).toBe('https');
    expect(resolveClient(peer, { 'x-forwarded-proto': 'gopher' }, appGateway).protocol).toBe('http');
    expect(resolveClient(peer, {}, appGateway, true).protocol).toBe('https');
  });
});

describe('whose traceparent the public listener continues', () => {
  const from = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as IncomingMessage;
  it('a trusted proxy’s only', () => {
    const trust = traceparentTrust({ TRUSTED_PROXIES: '10.1.2.0/24, ::1' });
    expect(trust(from('10.1.2.7'))).toBe(true);
    expect(trust(from('::ffff:10.1.2.7'))).toBe(true);
    expect(trust(from('::1'))).toBe(true);
    expect(trust(from('10.1.3.7'))).toBe(false);
    expect(trust(from('203.0.113.9'))).toBe(false);
    expect(trust(from(''))).toBe(false);
  });
  it('nobody’s when no proxy is trusted', () => {
    const trust = traceparentTrust({ TRUSTED_PROXIES: '' });
    expect(trust(from('127.0.0.1'))).toBe(false);
  });
});
