/**
 * Partner self-service through the public gateway: a user registers a partner client, sees it,
 * rotates its secret (shown once) and sets its scopes; the token endpoint follows each change.
 * What must not work: no token, a partner's own token, another user, bad bodies, too many clients.
 */
import type {} from '@strata/testing';
import { Client } from '@strata/testing/client';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');

async function token(clientId: string, clientSecret: string, scope?: string) {
  return fetch(`http://127.0.0.1:${stack.apps.sessions!.appPort}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'dapr-api-token': stack.appApiToken },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...(scope ? { scope } : {}) }).toString(),
  });
}

let a: Client;
let b: Client;
let clientId: string;
let secret: string;

beforeAll(async () => {
  a = await Client.user(stack);
  b = await Client.user(stack);
});

describe('partner self-service', () => {
  it('registers a client whose secret is shown once and works', async () => {
    const res = await a.call('POST', '/api/v1/partners', { name: 'My Archive Sync', scopes: ['files:read', 'files:write'] });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('cache-control')).toContain('no-store');
    clientId = (res.json.client as { clientId: string }).clientId;
    secret = res.json.clientSecret as string;
    expect(clientId).toMatch(/^my-archive-sync-[0-9a-f]{12}$/);
    expect(res.json.client).toMatchObject({ name: 'My Archive Sync', scopes: ['files:read', 'files:write'], plan: 'partner', secretRotatedAt: null });
    expect((await token(clientId, secret, 'files:read files:write')).status).toBe(200);
    const list = await a.call('GET', '/api/v1/partners');
    expect((list.json.items as { clientId: string }[]).map((c) => c.clientId)).toEqual([clientId]);
    expect(list.text).not.toContain(secret);
    expect((await a.call('GET', `/api/v1/partners/${clientId}`)).json).toMatchObject({ clientId });
  });

  it('rotates the secret: the old one stops working, the new one works', async () => {
    const res = await a.call('POST', `/api/v1/partners/${clientId}/rotate-secret`);
    expect(res.status, res.text).toBe(200);
    const next = res.json.clientSecret as string;
    expect(next).not.toBe(secret);
    expect((res.json.client as { secretRotatedAt: string | null }).secretRotatedAt).not.toBeNull();
    expect((await token(clientId, secret)).status).toBe(401);
    expect((await token(clientId, next)).status).toBe(200);
    secret = next;
  });

  it('sets its scopes: a scope taken away is refused at the token endpoint', async () => {
    const res = await a.call('PUT', `/api/v1/partners/${clientId}/scopes`, { scopes: ['files:read'] });
    expect(res.status, res.text).toBe(200);
    expect(res.json.scopes).toEqual(['files:read']);
    expect((await token(clientId, secret, 'files:write')).status).toBe(400);
    const granted = await token(clientId, secret);
    expect(((await granted.json()) as { scope: string }).scope).toBe('files:read');
  });
});

describe('what must not work', () => {
  it('no token: 401; a partner token: 403 (a partner registers no partners)', async () => {
    const anonymous = new Client(stack.gatewayUrl);
    expect((await anonymous.call('GET', '/api/v1/partners')).status).toBe(401);
    expect((await anonymous.call('POST', '/api/v1/partners', { name: 'x', scopes: ['files:read'] })).status).toBe(401);
    const partner = new Client(stack.gatewayUrl);
    partner.accessToken = ((await (await token(clientId, secret)).json()) as { access_token: string }).access_token;
    for (const [method, path, body] of [['GET', '/api/v1/partners'], ['POST', '/api/v1/partners', { name: 'x', scopes: ['files:read'] }], ['POST', `/api/v1/partners/${clientId}/rotate-secret`]] as const) {
      expect((await partner.call(method, path, body)).status, `${method} ${path}`).toBe(403);
    }
  });

  it("another user's client is not found, whatever is asked, and is unchanged", async () => {
    expect((await b.call('GET', `/api/v1/partners/${clientId}`)).status).toBe(404);
    expect((await b.call('POST', `/api/v1/partners/${clientId}/rotate-secret`)).status).toBe(404);
    expect((await b.call('PUT', `/api/v1/partners/${clientId}/scopes`, { scopes: ['files:read', 'files:write'] })).status).toBe(404);
    expect((await b.call('GET', '/api/v1/partners')).json.items).toEqual([]);
    expect((await token(clientId, secret)).status).toBe(200);
    expect((await a.call('GET', `/api/v1/partners/${clientId}`)).json.scopes).toEqual(['files:read']);
  });

  it('refuses bad bodies and ids with a 4xx problem', async () => {
    for (const body of [{}, { name: 'x' }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['sessions:manage'] }, { name: 'x', scopes: ['files:read', 'files:read'] }, { name: 'x'.repeat(101), scopes: ['files:read'] }, { name: 'a\u0000b', scopes: ['files:read'] }, { name: 'x', scopes: ['files:read'], clientId: 'mine' }]) {
      const res = await a.call('POST', '/api/v1/partners', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await a.call('PUT', `/api/v1/partners/${clientId}/scopes`, { scopes: ['admin'] })).status).toBe(400);
    expect((await a.call('GET', '/api/v1/partners/a%2fb')).status).toBe(400);
    expect((await a.call('GET', '/api/v1/partners/no')).status).toBe(400);
    expect(((await a.call('GET', '/api/v1/partners')).json.items as unknown[]).length).toBe(1);
  });

  it('a user may register a bounded number of clients', async () => {
    const c = await Client.user(stack);
    for (let i = 0; i < 10; i++) expect((await c.call('POST', '/api/v1/partners', { name: `client ${i}`, scopes: ['files:read'] })).status).toBe(201);
    expect((await c.call('POST', '/api/v1/partners', { name: 'one more', scopes: ['files:read'] })).status).toBe(409);
  });
});
