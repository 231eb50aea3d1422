import type {} from '@strata/testing';
import { TokenSigner, importPrivateKey, newSigningKey, parseKeySet } from '@strata/auth';
import { Secrets } from '@strata/contracts';
import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const stack = inject('stack');
const keys = parseKeySet(JSON.parse(readFileSync(join(stack.runDir, 'secrets.json'), 'utf8'))[Secrets.tokenSigningKeys] as string);
const settings = { issuer: 'strata', audience: 'strata-api', ttlSeconds: 900 };

async function expectProblem(res: { status: number; headers: Headers; json: Record<string, unknown> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.json).toMatchObject({ status });
}

describe('bad input is a 4xx problem and changes nothing', () => {
  it('refuses malformed JSON, missing and bad fields, and a 1 MB body', async () => {
    const client = new Client(stack.gatewayUrl);
    const email = `hostile-${randomUUID()}@example.test`;
    await expectProblem(await client.call('POST', '/api/v1/auth/register', '{"email": "x@example.test", "password": '), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email, password: 'short' }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email: 'not-an-email', password: 'long enough password' }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email, password: 'long enough password', admin: true }), 400);
    await expectProblem(
      await client.call('POST', '/api/v1/auth/register', { email, password: 'long enough password', displayName: 'x'.repeat(1024 * 1024) }),
      413,
    );
    await expectProblem(await client.call('POST', '/api/v1/auth/login', 'email=a&password=b', { 'content-type': 'text/csv' }), 415);
    // none of them stored anything: the address is still free
    expect((await client.call('POST', '/api/v1/auth/register', { email, password: 'long enough password' })).status).toBe(201);
  });

  it('refuses hostile JSON and wrong types', async () => {
    const client = new Client(stack.gatewayUrl);
    const email = `hostile-${randomUUID()}@example.test`;
    const password = 'long enough password';
    const raw = (body: string) => client.call('POST', '/api/v1/auth/register', body, { 'content-type': 'application/json' });
    await expectProblem(await raw(`{"email":"${email}","password":"${password}","__proto__":{"admin":true}}`), 400);
    await expectProblem(await raw(`{"email":"${email}","password":"${password}","constructor":{"prototype":{"admin":true}}}`), 400);
    await expectProblem(await raw(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400);
    await expectProblem(await raw('null'), 400);
    await expectProblem(await raw('"a string"'), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email: { $ne: '' }, password }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', { email, password: ['a', 'b'] }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/login', { email: {}, password: [] }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/login', { email, password: 'x'.repeat(1025) }), 400);
    await expectProblem(await client.call('POST', '/api/v1/auth/register', '\uFEFF{}', { 'content-type': 'application/json' }), 400);
    expect((await client.call('POST', '/api/v1/auth/register', { email, password })).status).toBe(201);
  });

  it('refuses a display name that Postgres could not store (NUL, a lone surrogate, control characters) with 400', async () => {
    const client = new Client(stack.gatewayUrl);
    const email = `hostile-${randomUUID()}@example.test`;
    const password = 'long enough password';
    for (const displayName of ['Ada\u0000', 'Ada \ud800', '\udfffAda', 'Ada\nLovelace', 'Ada\u001b[31m']) {
      await expectProblem(await client.call('POST', '/api/v1/auth/register', { email, password, displayName }), 400);
    }
    const ok = await client.call('POST', '/api/v1/auth/register', { email, password, displayName: 'Zoë Ådahl 😀' });
    expect(ok.status).toBe(201);
    expect(ok.json.displayName).toBe('Zoë Ådahl 😀');
  });

  it('answers malformed refresh cookies with 401 and a cleared cookie', async () => {
    const refresh = (client: Client, cookie: string) => client.call('POST', '/api/v1/auth/refresh', {}, { cookie });
    for (const cookie of [
      'strata_refresh=%',
      'strata_refresh=%E0%A4%A',
      'strata_refresh=a.b',
      `strata_refresh=${'a'.repeat(64)}.${'b'.repeat(100)}`,
      `strata_refresh=${'x'.repeat(8_000)}`,
      'strata_refresh="unterminated',
      ';;;==; strata_refresh',
    ]) {
      const res = await refresh(new Client(stack.gatewayUrl), cookie);
      await expectProblem(res, 401);
      expect(res.setCookie).toMatch(/^strata_refresh=;/);
    }
    // bytes beyond ASCII in a header: the service answers 401; the gateway refuses them with a 400
    // before forwarding (Dapr could not pass them between sidecars)
    await expectProblem(await refresh(Client.direct(stack, 'sessions'), 'strata_refresh=\u00ff\u00fe'), 401);
    await expectProblem(await refresh(new Client(stack.gatewayUrl), 'strata_refresh=\u00ff\u00fe'), 400);
    // and sign-out with such a cookie ends nothing and says so quietly
    expect((await new Client(stack.gatewayUrl).call('POST', '/api/v1/auth/logout', {}, { cookie: 'strata_refresh=%' })).status).toBe(204);
  });

  it('answers garbage session ids with 400 and unknown ones with 404', async () => {
    const client = await Client.user(stack);
    const direct = Client.direct(stack, 'sessions');
    direct.accessToken = client.accessToken;
    for (const c of [client, direct]) {
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/short'), 400);
      await expectProblem(await c.call('DELETE', `/api/v1/sessions/${'a'.repeat(65)}`), 400);
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/aaaaaaaa%2F..%2F..aaaaaaaa'), 400);
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/%C3%BFaaaaaaaaaaaaaaaaaaaa'), 400);
      await expectProblem(await c.call('DELETE', `/api/v1/sessions/${'a'.repeat(22)}`), 404);
      // not valid percent-encoding: refused before any route, as a problem like every other
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/%ZZ'), 400);
    }
    // control characters in the path: no single meaning, a 400 wherever they arrive
    for (const c of [client, direct]) {
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/%00aaaaaaaaaaaaaaaaaaaa'), 400);
      await expectProblem(await c.call('DELETE', '/api/v1/sessions/%0Aaaaaaaaaaaaaaaaaaaaaa'), 400);
    }
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
  });
});

describe('malformed client credentials on the token endpoint are a 4xx', () => {
  const token = (headers: Record<string, string>, body: Record<string, string> = { grant_type: 'client_credentials' }, type = 'application/x-www-form-urlencoded') =>
    fetch(`${stack.gatewayUrl}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': type, ...headers }, body: new URLSearchParams(body).toString() });
  const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

  async function expectOauthProblem(res: Response, status: number, error: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status, error });
  }

  it('refuses Basic credentials that are not valid percent-encoding, base64 or id:secret with 401 invalid_client', async () => {
    for (const authorization of [
      basic('%:x'),
      basic('acme:%E0%A4%A'),
      basic('%zz:secret'),
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic abc',
      'basic ====',
      basic('no colon here'),
      basic(`${'a'.repeat(800)}:${'b'.repeat(800)}`),
      `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64')}`,
    ]) {
      await expectOauthProblem(await token({ authorization }), 401, 'invalid_client');
    }
  });

  it('refuses credentials in both Basic and the body with 400 invalid_request, and other media types with 415', async () => {
    await expectOauthProblem(
      await token({ authorization: basic('acme:secret') }, { grant_type: 'client_credentials', client_id: 'acme', client_secret: 'secret' }),
      400,
      'invalid_request',
    );
    const text = await token({}, { grant_type: 'client_credentials' }, 'text/plain');
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toContain('application/problem+json');
    const dup = await fetch(`${stack.gatewayUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&grant_type=password',
    });
    expect(dup.status).toBe(400);
  });
});

describe('forged and stale access tokens are refused with 401', () => {
  const me = (token: string) => new Client(stack.gatewayUrl).call('GET', '/api/v1/me', undefined, { authorization: `Bearer ${token}` });
  const now = Math.floor(Date.now() / 1000);
  const claims = { kind: 'user', sid: 'forged-session-id-000', scope: 'files:read' };

  it('refuses alg none', async () => {
    const token = new UnsecuredJWT(claims).setSubject(randomUUID()).setIssuer('strata').setAudience('strata-api').setIssuedAt().setNotBefore(now).setExpirationTime('5m').setJti('x').encode();
    await expectProblem(await me(token), 401);
  });

  it('refuses an HS256 token signed with the published public key', async () => {
    const jwks = (await (await fetch(`${stack.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const pub = jwks.keys[0]!;
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: pub.kid, typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify({ ...claims, sub: randomUUID(), iss: 'strata', aud: 'strata-api', iat: now, nbf: now, exp: now + 300, jti: 'x' }));
    const signature = createHmac('sha256', JSON.stringify(pub)).update(`${header}.${payload}`).digest('base64url');
    await expectProblem(await me(`${header}.${payload}.${signature}`), 401);
  });

  it('refuses a wrong audience or issuer, a token expired by one second, and an unknown kid', async () => {
    const client = new Client(stack.gatewayUrl);
    const { email, password, id } = await client.register();
    await client.login(email, password);
    const sid = (JSON.parse(Buffer.from(client.accessToken!.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
    const subject = { sub: id, kind: 'user' as const, sid, scope: ['files:read'] };
    // the real key, the real session: only the claim under test is wrong
    const good = await new TokenSigner(keys, settings).sign(subject);
    expect((await me(good.token)).status).toBe(200);
    await expectProblem(await me((await new TokenSigner(keys, { ...settings, audience: 'other-api' }).sign(subject)).token), 401);
    await expectProblem(await me((await new TokenSigner(keys, { ...settings, issuer: 'https://evil.test' }).sign(subject)).token), 401);
    const expired = await new TokenSigner(keys, { ...settings, ttlSeconds: 1 }).sign(subject, new Date(Date.now() - 2_000));
    await expectProblem(await me(expired.token), 401);
    const stranger = { keys: [await newSigningKey()] };
    await expectProblem(await me((await new TokenSigner(stranger, settings).sign(subject)).token), 401);
    // a token signed by our key but with a kid we do not publish
    const key = keys.keys.at(-1)!;
    const unknownKid = await new SignJWT({ kind: 'user', sid, scope: 'files:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'no-such-kid', typ: 'at+jwt' })
      .setSubject(id).setIssuer('strata').setAudience('strata-api').setIssuedAt().setNotBefore(now).setExpirationTime('5m').setJti('y')
      .sign(await importPrivateKey(key));
    await expectProblem(await me(unknownKid), 401);
    await expectProblem(await me('garbage'), 401);
  });
});
