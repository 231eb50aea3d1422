import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const { gatewayUrl } = inject('stack');
// the launcher sets PUBLIC_ORIGINS to the stack's gateway, as it is served
const OWN_ORIGIN = new URL(gatewayUrl).origin;
const EVIL_ORIGIN = 'https://evil.example';

function expectProblem(res: { status: number; headers: Headers; json: Record<string, unknown> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.json).toMatchObject({ status });
}

/** A user signed in through the gateway: the refresh cookie is in the client's jar. */
async function signedIn() {
  const client = new Client(gatewayUrl);
  const { email, password } = await client.register();
  expect((await client.login(email, password)).status).toBe(200);
  return { client, email, password };
}

describe('sign-in, refresh and sign-out take JSON only (an HTML form cannot send it)', () => {
  it('sign-in refuses a form, text/plain and a missing type with 415, and sets no cookie', async () => {
    const { email, password } = await signedIn();
    const attacker = new Client(gatewayUrl);
    const form = new URLSearchParams({ email, password }).toString();
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', form],
      // the classic JSON-in-a-text-form trick
      ['text/plain', JSON.stringify({ email, password })],
      ['multipart/form-data; boundary=x', `--x\r\ncontent-disposition: form-data; name="email"\r\n\r\n${email}\r\n--x--\r\n`],
      ['application/cloudevents+json', JSON.stringify({ email, password })],
    ] as const) {
      const res = await attacker.call('POST', '/api/v1/auth/login', body, { 'content-type': type });
      expectProblem(res, 415);
      expect(res.setCookie).toBeUndefined();
    }
    const untyped = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', body: new Blob([JSON.stringify({ email, password })]) });
    expect(untyped.status).toBe(415);
    expect(untyped.headers.getSetCookie()).toEqual([]);
    // the same credentials as JSON sign in
    expect((await attacker.login(email, password)).status).toBe(200);
  });

  it('refresh and sign-out refuse a body that is not JSON, or no type, with 415 and change nothing', async () => {
    const { client } = await signedIn();
    const cookie = client.cookie;
    expectProblem(await client.call('POST', '/api/v1/auth/refresh'), 415);
    expectProblem(await client.call('POST', '/api/v1/auth/refresh', '', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    expectProblem(await client.call('POST', '/api/v1/auth/logout'), 415);
    expectProblem(await client.call('POST', '/api/v1/auth/logout', 'x=1', { 'content-type': 'text/plain' }), 415);
    expect(client.cookie).toBe(cookie);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
    // the cookie did not rotate: it is still the one that refreshes
    expect((await client.call('POST', '/api/v1/auth/refresh', {})).status).toBe(200);
    expect(client.cookie).not.toBe(cookie);
  });

  it('refresh and sign-out take {} or an empty JSON body, and nothing else in it', async () => {
    const { client } = await signedIn();
    expect((await client.call('POST', '/api/v1/auth/refresh', '', { 'content-type': 'application/json' })).status).toBe(200);
    expect((await client.call('POST', '/api/v1/auth/refresh', {})).status).toBe(200);
    expectProblem(await client.call('POST', '/api/v1/auth/refresh', { refreshToken: 'x' }), 400);
    expectProblem(await client.call('POST', '/api/v1/auth/logout', '{', { 'content-type': 'application/json' }), 400);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
    const out = await client.call('POST', '/api/v1/auth/logout', '', { 'content-type': 'application/json; charset=utf-8' });
    expect(out.status).toBe(204);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(401);
  });

  it('registration takes JSON only', async () => {
    const client = new Client(gatewayUrl);
    const email = `csrf-${crypto.randomUUID()}@example.test`;
    const form = new URLSearchParams({ email, password: 'long enough password' }).toString();
    expectProblem(await client.call('POST', '/api/v1/auth/register', form, { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    // nothing was stored: the address is still free
    expect((await client.call('POST', '/api/v1/auth/register', { email, password: 'long enough password' })).status).toBe(201);
  });
});

describe('sign-in, refresh and sign-out refuse pages of other origins', () => {
  it('sign-in from another origin, or from an opaque one, is 403 and sets no cookie', async () => {
    const { email, password } = await signedIn();
    const client = new Client(gatewayUrl);
    for (const origin of [EVIL_ORIGIN, 'null', `${OWN_ORIGIN}.evil.example`, OWN_ORIGIN.toUpperCase(), `${OWN_ORIGIN}, ${EVIL_ORIGIN}`]) {
      const res = await client.call('POST', '/api/v1/auth/login', { email, password }, { origin });
      expectProblem(res, 403);
      expect(res.setCookie).toBeUndefined();
    }
    // our own pages, and clients that send no Origin at all (a CLI, a server), sign in
    expect((await client.call('POST', '/api/v1/auth/login', { email, password }, { origin: OWN_ORIGIN })).status).toBe(200);
    expect((await client.call('POST', '/api/v1/auth/login', { email, password }, { origin: `http://localhost:${new URL(gatewayUrl).port}` })).status).toBe(200);
    expect((await client.login(email, password)).status).toBe(200);
  });

  it('a refresh or a sign-out from another origin is 403 and leaves the session as it was', async () => {
    const { client } = await signedIn();
    const cookie = client.cookie;
    const refresh = await client.call('POST', '/api/v1/auth/refresh', {}, { origin: EVIL_ORIGIN });
    expectProblem(refresh, 403);
    expect(refresh.setCookie).toBeUndefined();
    expectProblem(await client.call('POST', '/api/v1/auth/logout', {}, { origin: EVIL_ORIGIN }), 403);
    expectProblem(await client.call('POST', '/api/v1/auth/logout', {}, { origin: 'null' }), 403);
    expect(client.cookie).toBe(cookie);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);

    const own = await client.call('POST', '/api/v1/auth/refresh', {}, { origin: OWN_ORIGIN });
    expect(own.status).toBe(200);
    client.accessToken = own.json.accessToken as string;
    expect((await client.call('POST', '/api/v1/auth/logout', {}, { origin: OWN_ORIGIN })).status).toBe(204);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(401);
  });
});
