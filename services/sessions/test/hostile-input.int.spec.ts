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
