import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proxy, startProxy } from './nginx.js';
import { startGateway } from './support.js';

// A gateway behind a real reverse proxy (nginx, set up as the Application Gateway forwards), with
// the proxy's address as its only trusted proxy and rate limits on. Clients come from addresses
// of their own on the loopback network (127.0.0.2, 127.0.0.3, ...), so the proxy sees each
// client's real address, and a direct caller's is not the proxy's.
type Gateway = Awaited<ReturnType<typeof startGateway>>;
let gateway: Gateway;
let proxy: Proxy;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

function call(
  base: string,
  from: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; ca?: string } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: from, ...(options.ca ? { ca: options.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const viaProxy = (from: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  call(proxy.url, from, method, path, { ...options, ca: proxy.ca });
const direct = (from: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  call(gateway.url, from, method, path, options);

/** A registration body for an address no one registered. */
const newAccount = () => ({ email: `proxy-${randomUUID()}@example.test`, password: 'behind the proxy password', displayName: 'Proxied' });

/** Loopback addresses of their own for this run (the limits by address in Redis start empty for them). */
const base = 10 + Math.floor(Math.random() * 200);
const address = (n: number) => `127.0.${base}.${n}`;

beforeAll(async () => {
  // the proxy connects from 127.0.0.1; the clients come from 127.0.<base>.x
  gateway = await startGateway({ TRUSTED_PROXIES: '127.0.0.1/32', HSTS: 'true' }, { listen: true });
  proxy = await startProxy(gateway.url);
});
afterAll(async () => {
  await proxy?.stop();
  await gateway?.close();
});

describe('behind a trusted reverse proxy', () => {
  it('gives two clients with different forwarded addresses limits of their own', async () => {
    const [a, b] = [address(2), address(3)];
    // registration allows 5 a minute per address
    const fromA = [];
    for (let i = 0; i < 6; i++) fromA.push((await viaProxy(a, 'POST', '/api/v1/auth/register', { body: newAccount() })).status);
    expect(fromA).toEqual([201, 201, 201, 201, 201, 429]);
    expect((await viaProxy(b, 'POST', '/api/v1/auth/register', { body: newAccount() })).status).toBe(201);
  });

  it('does not let a direct caller forge X-Forwarded-For or X-Forwarded-Proto', async () => {
    const [attacker, victim] = [address(4), address(5)];
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      // a new forged address each time: if believed, no address would reach its limit
      const forged = { 'x-forwarded-for': `198.51.100.${i + 1}, ${victim}`, 'x-forwarded-proto': 'https' };
      statuses.push((await direct(attacker, 'POST', '/api/v1/auth/register', { body: newAccount(), headers: forged })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    // the victim's budget is untouched
    expect((await viaProxy(victim, 'POST', '/api/v1/auth/register', { body: newAccount() })).status).toBe(201);
    // and the forged protocol did not make a Secure cookie or HSTS
    const account = newAccount();
    expect((await direct(address(6), 'POST', '/api/v1/auth/register', { body: account })).status).toBe(201);
    const login = await direct(address(6), 'POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password }, headers: { 'x-forwarded-proto': 'https' } });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    expect(login.headers['strict-transport-security']).toBeUndefined();
  });

  it('sets the refresh cookie Secure and sends HSTS when the client came over https', async () => {
    const from = address(7);
    const account = newAccount();
    expect((await viaProxy(from, 'POST', '/api/v1/auth/register', { body: account })).status).toBe(201);
    const login = await viaProxy(from, 'POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/strata_refresh=[^;]+;.*Secure/i);
    expect(login.headers['strict-transport-security']).toMatch(/^max-age=\d+/);

    // the client's own address is what the devices list shows
    const token = login.json.accessToken as string;
    const sessions = await viaProxy(from, 'GET', '/api/v1/sessions', { headers: { authorization: `Bearer ${token}` } });
    expect(sessions.status).toBe(200);
    const items = sessions.json.items as { current: boolean; address: string }[];
    expect(items.find((s) => s.current)?.address).toBe(from);
  });
});
