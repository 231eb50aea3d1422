import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const { gatewayUrl } = inject('stack');

describe('register → login → me → refresh → reuse detection → logout, through the gateway', () => {
  it('runs the whole flow', async () => {
    const client = new Client(gatewayUrl);
    const { email, password, id } = await client.register();

    const login = await client.login(email, password);
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(login.setCookie).toMatch(/^strata_refresh=[\w-]+\.[\w-]+;/);
    expect(login.setCookie).toMatch(/HttpOnly/i);
    expect(login.setCookie).toMatch(/SameSite=Strict/i);
    expect(login.setCookie).toMatch(/Path=\/api\/v1\/auth/);

    const me = await client.call('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ id, email, displayName: 'Test User' });

    const firstCookie = client.cookie!;
    const refreshed = await client.call('POST', '/api/v1/auth/refresh', {});
    expect(refreshed.status).toBe(200);
    expect(client.cookie).not.toBe(firstCookie);
    const newToken = refreshed.json.accessToken as string;
    expect(newToken).not.toBe(client.accessToken);
    client.accessToken = newToken;
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);

    // a thief replays the first refresh token: the whole session ends
    const thief = new Client(gatewayUrl);
    thief.cookie = firstCookie;
    const replay = await thief.call('POST', '/api/v1/auth/refresh', {});
    expect(replay.status).toBe(401);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect((await client.call('POST', '/api/v1/auth/refresh', {})).status).toBe(401);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(401);

    // a new sign-in is a new session; logout ends it
    const again = await client.login(email, password);
    expect(again.status).toBe(200);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
    const logout = await client.call('POST', '/api/v1/auth/logout', {});
    expect(logout.status).toBe(204);
    expect(logout.setCookie).toMatch(/^strata_refresh=;/);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(401);
  });

  it('treats e-mail addresses case-insensitively and refuses a taken one with 409', async () => {
    const client = new Client(gatewayUrl);
    const { email, password } = await client.register();
    const taken = await client.call('POST', '/api/v1/auth/register', { email: email.toUpperCase(), password });
    expect(taken.status).toBe(409);
    expect(taken.json).toMatchObject({ status: 409 });
    expect((await client.login(email.toUpperCase(), password)).status).toBe(200);
  });

  it('registers one account when the same e-mail is registered concurrently', async () => {
    const client = new Client(gatewayUrl);
    const email = `race-${Date.now()}@example.test`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => client.call('POST', '/api/v1/auth/register', { email, password: 'a long enough password' })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it('gives one answer whatever was wrong with a sign-in', async () => {
    const client = new Client(gatewayUrl);
    const { email } = await client.register();
    const wrongPassword = await client.login(email, 'not the password at all');
    const unknownEmail = await client.login(`nobody-${Date.now()}@example.test`, 'not the password at all');
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.json.detail).toBe(unknownEmail.json.detail);
    expect(wrongPassword.json.type).toBe(unknownEmail.json.type);
  });

  it('throttles failed sign-ins per account with 429 and Retry-After', async () => {
    const client = new Client(gatewayUrl);
    const { email, password } = await client.register();
    for (let i = 0; i < 5; i++) expect((await client.login(email, 'wrong password here')).status).toBe(401);
    const throttled = await client.login(email, password);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('sessions (devices)', () => {
  it('lists the caller’s sessions, marks the current one, and signs out another device', async () => {
    const laptop = new Client(gatewayUrl, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15');
    const { email, password } = await laptop.register();
    await laptop.login(email, password);
    const phone = new Client(gatewayUrl, 'Mozilla/5.0 (Linux; Android 15) Chrome/140.0 Mobile Safari/537.36');
    await phone.login(email, password);

    const list = await laptop.call('GET', '/api/v1/sessions');
    expect(list.status).toBe(200);
    const items = list.json.items as { id: string; device: string; current: boolean; address: string }[];
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items.map((s) => s.device).sort()).toEqual(['Chrome on Android', 'Safari on macOS']);
    expect(items.every((s) => s.address === '127.0.0.1')).toBe(true);

    const phoneSession = items.find((s) => s.device === 'Chrome on Android')!;
    expect((await laptop.call('DELETE', `/api/v1/sessions/${phoneSession.id}`)).status).toBe(204);
    expect((await phone.call('GET', '/api/v1/me')).status).toBe(401);
    expect((await phone.call('POST', '/api/v1/auth/refresh', {})).status).toBe(401);
    expect((await laptop.call('GET', '/api/v1/me')).status).toBe(200);

    // someone else's session is "not found", and stays alive
    const other = new Client(gatewayUrl);
    const stranger = await other.register();
    await other.login(stranger.email, stranger.password);
    const laptopSession = items.find((s) => s.current)!;
    expect((await other.call('DELETE', `/api/v1/sessions/${laptopSession.id}`)).status).toBe(404);
    expect((await laptop.call('GET', '/api/v1/me')).status).toBe(200);
  });
});
