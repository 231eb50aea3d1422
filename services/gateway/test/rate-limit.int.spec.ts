import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './support.js';

// Gateway replicas in this process, each on the test stack's gateway sidecar (so the ratelimit,
// sessions and files apps they reach are the stack's own, and so is Redis). Requests go through
// `inject` with a remote address unique to each test: the limits by address then start empty,
// whatever the rest of the suite sent from 127.0.0.1.
const PASSWORD = 'rate limit test password';

let counter = 0;
/** An address no other test (or earlier run) counted: 10.x.y.z from the run and a counter. */
function uniqueAddress(): string {
  counter++;
  const seed = (Number.parseInt(randomUUID().slice(0, 4), 16) << 8) + counter;
  return `10.${(seed >> 16) & 255}.${(seed >> 8) & 255}.${seed & 255}`;
}

const statuses = (answers: LightMyRequestResponse[]) => answers.map((a) => a.statusCode);
const admitted = (answers: LightMyRequestResponse[]) => answers.filter((a) => a.statusCode < 400).length;

/** Both IETF fields on every answer, and Retry-After with problem+json on every 429. */
function expectRateLimitFields(answers: LightMyRequestResponse[], policy: RegExp) {
  for (const a of answers) {
    expect(a.headers['ratelimit-policy'], `${a.statusCode} ${a.body}`).toMatch(policy);
    expect(a.headers['ratelimit']).toMatch(/^"[a-z0-9-]+";r=\d+;t=\d+(, "[a-z0-9-]+";r=\d+;t=\d+)*$/);
    if (a.statusCode === 429) {
      expect(a.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(a.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(a.json()).toMatchObject({ status: 429, type: 'https://strata.dev/problems/too-many-requests' });
    } else {
      expect(a.headers['retry-after']).toBeUndefined();
    }
  }
}

describe('rate limits at the gateway', () => {
  // an unlimited replica signs the test users up, so sign-up limits by address do not get in the way
  let signup: FastifyInstance;
  let gateways: FastifyInstance[] = [];

  beforeAll(async () => {
    [signup, ...gateways] = await Promise.all([
      startGateway({ RATE_LIMIT_ENABLED: 'false' }),
      startGateway(),
      startGateway(),
      startGateway(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([signup, ...gateways].map((g) => g?.close()));
  });

  async function newUserToken(): Promise<string> {
    const email = `ratelimit-${randomUUID()}@example.test`;
    const registered = await signup.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, displayName: 'Limited' } });
    expect(registered.statusCode).toBe(201);
    const login = await signup.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
    expect(login.statusCode).toBe(200);
    return login.json<{ accessToken: string }>().accessToken;
  }

  const me = (gateway: FastifyInstance, token: string, remoteAddress = '127.0.0.1') =>
    gateway.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` }, remoteAddress });

  it('admits exactly 100 of 150 requests from one user in a minute; the rest are 429 with Retry-After', async () => {
    const token = await newUserToken();
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 150; i++) answers.push(await me(gateways[0]!, token));

    expect(statuses(answers).slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses(answers).slice(100).every((s) => s === 429)).toBe(true);
    expectRateLimitFields(answers, /^"default";q=100;w=60$/);
    // remaining counts down one by one, leases or not
    const remaining = answers.slice(0, 100).map((a) => Number(/r=(\d+)/.exec(String(a.headers['ratelimit']))![1]));
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    const refused = answers[100]!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('admits exactly 100 of 150 when the same user is spread over three gateway replicas', async () => {
    const token = await newUserToken();
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 150; i++) answers.push(await me(gateways[i % 3]!, token));
    expect(admitted(answers)).toBe(100);
    expect(statuses(answers).every((s) => s === 200 || s === 429)).toBe(true);
    expectRateLimitFields(answers, /^"default";q=100;w=60$/);

    // and when the 150 arrive at once, split between them
    const other = await newUserToken();
    const concurrent = await Promise.all(Array.from({ length: 150 }, (_, i) => me(gateways[i % 3]!, other)));
    expect(admitted(concurrent)).toBe(100);
    expect(statuses(concurrent).every((s) => s === 200 || s === 429)).toBe(true);
  });

  it('admits no more than the limit out of a burst of 1,000 concurrent requests', async () => {
    const token = await newUserToken();
    const burst = await Promise.all(Array.from({ length: 1_000 }, (_, i) => me(gateways[i % 3]!, token)));
    expect(admitted(burst)).toBeLessThanOrEqual(100);
    expect(admitted(burst)).toBeGreaterThan(0);
    expect(statuses(burst).every((s) => s === 200 || s === 429)).toBe(true);
    expectRateLimitFields(burst, /^"default";q=100;w=60$/);

    // a second burst right after: the window is still full
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => me(gateways[i % 3]!, token)));
    expect(admitted(again)).toBe(0);
  });

  it('puts the fields on 401s, 404s and public answers, counting anonymous callers by address', async () => {
    const address = uniqueAddress();
    const anonymous = await gateways[0]!.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: address });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['ratelimit']).toBe('"default";r=99;t=60');
    const badToken = await gateways[1]!.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer not.a.token' }, remoteAddress: address });
    expect(badToken.statusCode).toBe(401);
    expect(badToken.headers['www-authenticate']).toContain('invalid_token');
    expect(badToken.headers['ratelimit']).toBe('"default";r=98;t=60');
    const missing = await gateways[2]!.inject({ method: 'GET', url: '/api/v1/no-such-route', remoteAddress: address });
    expect(missing.statusCode).toBe(404);
    const jwks = await gateways[0]!.inject({ method: 'GET', url: '/.well-known/jwks.json', remoteAddress: address });
    expect(jwks.statusCode).toBe(200);
    expectRateLimitFields([anonymous, badToken, missing, jwks], /^"default";q=100;w=60$/);
    expect(missing.headers['ratelimit']).toBe('"default";r=97;t=60');
  });

  it('limits the routes of the public route table the gateway answers itself, and nothing outside the table', async () => {
    const address = uniqueAddress();
    const openapi = await gateways[0]!.inject({ method: 'GET', url: '/api/v1/openapi.json', remoteAddress: address });
    expect(openapi.statusCode).toBe(200);
    expect(openapi.headers['ratelimit']).toBe('"default";r=99;t=60');
    const events = await gateways[0]!.inject({ method: 'GET', url: '/api/v1/events', remoteAddress: address });
    expect(events.statusCode).toBe(401);
    expect(events.headers['ratelimit']).toBe('"default";r=98;t=60');
    // the docs and the UI are not in the table: not counted, no fields
    for (const url of ['/api/docs', '/']) {
      const page = await gateways[0]!.inject({ method: 'GET', url, remoteAddress: address });
      expect(page.statusCode, url).toBeLessThan(500);
      expect(page.headers['ratelimit'], url).toBeUndefined();
      expect(page.headers['ratelimit-policy'], url).toBeUndefined();
    }
    const after = await gateways[0]!.inject({ method: 'GET', url: '/api/v1/openapi.json', remoteAddress: address });
    expect(after.headers['ratelimit']).toBe('"default";r=97;t=60');
  });

  it('limits sign-in per address and per account named in the body, and still forwards the body', async () => {
    const address = uniqueAddress();
    const email = `nobody-${randomUUID()}@example.test`;
    const login = (from: string) =>
      gateways[0]!.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'wrong password' }, remoteAddress: from });
    const first = await login(address);
    // the service read the same body: an unknown account is a 401, not a 400
    expect(first.statusCode).toBe(401);
    expect(first.headers['ratelimit-policy']).toBe('"auth-login-account";q=5;w=60, "auth-login-address";q=10;w=60');
    expect(first.headers['ratelimit']).toBe('"auth-login-account";r=4;t=60, "auth-login-address";r=9;t=60');

    // registration: 5 a minute from one address, whatever the e-mail
    const registrations: LightMyRequestResponse[] = [];
    for (let i = 0; i < 6; i++) {
      registrations.push(
        await gateways[i % 3]!.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email: `reg-${randomUUID()}@example.test`, password: PASSWORD, displayName: 'Reg' },
          remoteAddress: address,
        }),
      );
    }
    expect(statuses(registrations)).toEqual([201, 201, 201, 201, 201, 429]);
    // the refused attempt took nothing from the account it named: 3 left
    expect(registrations[5]!.headers['ratelimit']).toMatch(/^"auth-register-address";r=0;t=\d+, "auth-register-account";r=3;t=0$/);
    expectRateLimitFields(registrations, /^"auth-register-[a-z]+";q=\d+;w=60, "auth-register-[a-z]+";q=\d+;w=60$/);
  });

  it('takes the class from the route reached, whatever the spelling of its path', async () => {
    const address = uniqueAddress();
    const spellings = ['/api/v1/auth/register', '/api/v1/auth/./register', '//api/v1/auth/register', '/api/v1/auth/x/../register', '/%61pi/v1/auth/register', '/api/v1/auth/%72egister'];
    const answers: LightMyRequestResponse[] = [];
    for (const url of spellings) {
      answers.push(await gateways[0]!.inject({ method: 'POST', url, payload: { email: `spelt-${randomUUID()}@example.test`, password: PASSWORD, displayName: 'Spelt' }, remoteAddress: address }));
    }
    // all six count against the registration policy's 5 per address: none slips into `default`
    expect(statuses(answers)).toEqual([201, 201, 201, 201, 201, 429]);
    for (const a of answers) expect(a.headers['ratelimit-policy'], a.body).toMatch(/"auth-register-address";q=5;w=60/);
  });
});

describe('when the ratelimit service does not answer', () => {
  let gateway: FastifyInstance;
  let signup: FastifyInstance;
  beforeAll(async () => {
    // an app-id nobody serves: every decision fails, as when ratelimit or its Redis is down
    [gateway, signup] = await Promise.all([
      startGateway({ RATE_LIMIT_APP_ID: 'ratelimit-gone', RATE_LIMIT_FALLBACK_REPLICAS: '3' }),
      startGateway({ RATE_LIMIT_ENABLED: 'false' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), signup?.close()]);
  });

  it('applies the documented local limit (the policy / 3 per replica), never a 5xx, and says so', async () => {
    const email = `fallback-${randomUUID()}@example.test`;
    expect((await signup.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD } })).statusCode).toBe(201);
    const token = (await signup.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } })).json<{ accessToken: string }>().accessToken;

    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 50; i++) {
      answers.push(await gateway.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } }));
    }
    expect(statuses(answers).slice(0, 33).every((s) => s === 200)).toBe(true);
    expect(statuses(answers).slice(33).every((s) => s === 429)).toBe(true);
    expectRateLimitFields(answers, /^"default";q=33;w=60$/);

    const ready = await gateway.internalListener.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { ratelimit: { ok: true, detail: expect.stringMatching(/^degraded: local fallback limits/) } } });

    const metrics = (await gateway.internalListener.inject({ method: 'GET', url: '/metrics' })).body.split('\n');
    expect(metrics).toContainEqual(expect.stringMatching(/^gateway_ratelimit_fallback_active(\{[^}]*\})? 1$/));
    expect(metrics).toContainEqual(expect.stringMatching(/^gateway_ratelimit_decisions_total\{outcome="allowed",source="fallback".*\} 33$/));
    expect(metrics).toContainEqual(expect.stringMatching(/^gateway_ratelimit_decisions_total\{outcome="denied",source="fallback".*\} 17$/));
  });

  it('reports cluster-wide limits when the service answers', async () => {
    const healthy = await startGateway();
    try {
      await healthy.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: uniqueAddress() });
      const ready = await healthy.internalListener.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json()).toMatchObject({ checks: { ratelimit: { ok: true, detail: 'cluster-wide limits from the ratelimit service' } } });
      const metrics = (await healthy.internalListener.inject({ method: 'GET', url: '/metrics' })).body.split('\n');
      expect(metrics).toContainEqual(expect.stringMatching(/^gateway_ratelimit_fallback_active(\{[^}]*\})? 0$/));
      expect(metrics).toContainEqual(expect.stringMatching(/^gateway_ratelimit_decisions_total\{outcome="allowed",source="service".*\} 1$/));
    } finally {
      await healthy.close();
    }
  });
});
