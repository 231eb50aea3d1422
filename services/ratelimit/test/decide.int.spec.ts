import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../src/domain/decide.js';
import {
  GATEWAY,
  count,
  decide,
  keysWithTtl,
  manualClock,
  redisClient,
  redisNowMs,
  startInstance,
  uniqueId,
} from './support.js';

// The default policy: 100 in any 60 s window.
const LIMIT = 100;
const WINDOW_MS = 60_000;

let redis: Redis;
beforeAll(() => {
  redis = redisClient();
});
afterAll(async () => {
  redis?.disconnect();
});

/** The most tokens granted in any window of `windowMs`, tokens spent at their grant time. */
function busiestWindow(grants: readonly { at: number; tokens: number }[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < grants.length; i++) {
    let total = 0;
    for (let j = i; j < grants.length && grants[j]!.at < grants[i]!.at + windowMs; j++) total += grants[j]!.tokens;
    most = Math.max(most, total);
  }
  return most;
}

describe('POST /v1/decide against real Redis, on a clock the test holds still', () => {
  const clock = manualClock();
  let server: FastifyInstance;
  beforeAll(async () => {
    server = await startInstance(clock.now);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('allows exactly 100 of 150 decisions for one user in the same instant, and says when to retry', async () => {
    const id = uniqueId('user');
    const decisions: Decision[] = [];
    for (let i = 0; i < 150; i++) decisions.push(await decide(server, { routeClass: 'api', subject: { kind: 'user', id } }));

    expect(count(decisions, true)).toBe(LIMIT);
    expect(decisions.slice(0, LIMIT).every((d) => d.allowed)).toBe(true);
    const first = decisions[0]!;
    expect(first).toMatchObject({ policy: 'default', limit: 100, remaining: 99, resetMs: WINDOW_MS, retryAfterMs: 0 });
    expect(first.headers).toEqual({ 'RateLimit-Policy': '"default";q=100;w=60', RateLimit: '"default";r=99;t=60' });

    for (const denied of decisions.slice(LIMIT)) {
      expect(denied).toMatchObject({ allowed: false, remaining: 0, resetMs: WINDOW_MS, retryAfterMs: WINDOW_MS });
      expect(denied.headers).toEqual({
        'RateLimit-Policy': '"default";q=100;w=60',
        RateLimit: '"default";r=0;t=60',
        'Retry-After': '60',
      });
    }

    // a millisecond before the window ends nothing frees; at its end all 100 slots are back
    clock.advance(WINDOW_MS - 1);
    expect((await decide(server, { routeClass: 'api', subject: { kind: 'user', id } })).retryAfterMs).toBe(1);
    clock.advance(1);
    const again = await decide(server, { routeClass: 'api', subject: { kind: 'user', id } });
    expect(again).toMatchObject({ allowed: true, remaining: 99 });
  });

  it('allows exactly 100 of 150 spread evenly over one minute: a slot frees only when its admission is a window old', async () => {
    const id = uniqueId('spread');
    const start = clock.now();
    const decisions: { at: number; d: Decision }[] = [];
    // one every 400 ms: 150 in 60 s (GCRA with burst = limit would have let 150 through)
    for (let i = 0; i < 150; i++) {
      decisions.push({ at: clock.now() - start, d: await decide(server, { routeClass: 'api', subject: { kind: 'user', id } }) });
      clock.advance(400);
    }
    expect(decisions.filter((x) => x.d.allowed).length).toBe(LIMIT);
    expect(decisions.slice(0, LIMIT).every((x) => x.d.allowed)).toBe(true);
    // the 101st comes at 40 s: the first admission (at 0 s) frees its slot at 60 s
    expect(decisions[LIMIT]!.d).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 20_000, resetMs: 20_000 });
    expect(decisions[LIMIT]!.d.headers['Retry-After']).toBe('20');
    // at 60 s exactly one slot is free: the one taken at 0 s
    expect(clock.now() - start).toBe(WINDOW_MS);
    const at60 = [await decide(server, { routeClass: 'api', subject: { kind: 'user', id } })];
    at60.push(await decide(server, { routeClass: 'api', subject: { kind: 'user', id } }));
    expect(at60.map((d) => d.allowed)).toEqual([true, false]);
    expect(at60[1]!.retryAfterMs).toBe(400);
  });

  it('never admits more than the limit in any window, over five minutes of irregular traffic', async () => {
    const id = uniqueId('irregular');
    const start = clock.now();
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const grants: { at: number; tokens: number }[] = [];
    let denied = 0;
    while (clock.now() - start < 300_000) {
      // 0..1.5 s apart, sometimes 10 at once: more than the limit asks, unevenly
      const burst = random() < 0.1 ? 10 : 1;
      for (let i = 0; i < burst; i++) {
        const d = await decide(server, { routeClass: 'api', subject: { kind: 'user', id } });
        if (d.allowed) grants.push({ at: clock.now(), tokens: 1 });
        else denied++;
      }
      clock.advance(Math.floor(random() * 1_500));
    }
    expect(denied).toBeGreaterThan(0);
    expect(busiestWindow(grants, WINDOW_MS)).toBe(LIMIT);
  });

  it('allows no more than the limit out of 1,000 concurrent decisions', async () => {
    const id = uniqueId('burst');
    const decisions = await Promise.all(
      Array.from({ length: 1_000 }, () => decide(server, { routeClass: 'api', subject: { kind: 'anonymous', id } })),
    );
    expect(count(decisions, true)).toBe(LIMIT);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterMs > 0)).toBe(true);
  });

  it('decides address and account together: a refusal consumes neither', async () => {
    const address = uniqueId('addr');
    const otherAddress = uniqueId('addr');
    const account = uniqueId('acct');
    const login = (addr: string, acct: string) =>
      decide(server, { routeClass: 'auth.login', subject: { kind: 'anonymous', id: addr, account: acct } });

    // the account allows 5 a minute: spend them from one address
    for (let i = 0; i < 5; i++) expect((await login(address, account)).allowed).toBe(true);
    const refused = await login(otherAddress, account);
    expect(refused).toMatchObject({ allowed: false, policy: 'auth-login', limit: 5 });
    expect(refused.checks.map((c) => [c.name, c.allowed])).toEqual([
      ['auth-login-address', true],
      ['auth-login-account', false],
    ]);
    expect(refused.headers['RateLimit']).toMatch(/^"auth-login-account";r=0;t=60, "auth-login-address";r=10;t=0$/);
    // the other address was not charged for the refused attempt: it still has all 10
    expect((await keysWithTtl(redis, otherAddress)).size).toBe(0);
    const accounts = Array.from({ length: 10 }, () => uniqueId('acct'));
    const fromOther = [];
    for (const acct of accounts) fromOther.push(await login(otherAddress, acct));
    expect(count(fromOther, true)).toBe(10);

    // and the other way round: the address is spent, so a fresh account is refused and not charged
    const freshAccount = uniqueId('acct');
    const byAddress = await login(otherAddress, freshAccount);
    expect(byAddress.allowed).toBe(false);
    expect(byAddress.checks.map((c) => [c.name, c.allowed])).toEqual([
      ['auth-login-address', false],
      ['auth-login-account', true],
    ]);
    expect((await keysWithTtl(redis, freshAccount)).size).toBe(0);
    const elsewhere = [];
    for (let i = 0; i < 6; i++) elsewhere.push(await login(uniqueId('addr'), freshAccount));
    expect(count(elsewhere, true)).toBe(5);
  });

  it('keeps at most `limit` entries per key, each key expiring when its newest entry leaves the window', async () => {
    const id = uniqueId('ttl');
    await decide(server, { routeClass: 'api', subject: { kind: 'user', id } });
    await decide(server, { routeClass: 'api', subject: { kind: 'partner', id, plan: 'pro' }, cost: 50 });
    for (let i = 0; i < 7; i++) {
      await decide(server, { routeClass: 'auth.register', subject: { kind: 'anonymous', id: `${id}-addr`, account: `${id}@example.com` } });
    }
    await decide(server, { routeClass: 'auth.token', subject: { kind: 'user', id, address: `${id}-addr`, account: id } });
    await decide(server, { routeClass: 'api', subject: { kind: 'anonymous', id: `${id}-lease` }, cost: 5, holdMs: 2_000 });

    const ttls = await keysWithTtl(redis, id);
    expect([...ttls.keys()].sort()).toEqual(
      [
        `strata:ratelimit:{auth-register}:auth-register-account:${id}@example.com`,
        `strata:ratelimit:{auth-register}:auth-register-address:${id}-addr`,
        `strata:ratelimit:{auth-token}:auth-token-account:${id}`,
        `strata:ratelimit:{auth-token}:auth-token-address:${id}-addr`,
        `strata:ratelimit:default:{user:${id}}`,
        `strata:ratelimit:default:{anonymous:${id}-lease}`,
        `strata:ratelimit:partner-pro:{partner:${id}}`,
        `strata:ratelimit:partner-pro-burst:{partner:${id}}`,
      ].sort(),
    );
    // PTTL is -1 for a key without expiry and -2 for a missing key
    for (const [key, ttl] of ttls) expect(ttl, key).toBeGreaterThan(0);
    const within = (key: string, ms: number) => {
      const ttl = ttls.get(key)!;
      expect(ttl, key).toBeLessThanOrEqual(ms);
      expect(ttl, key).toBeGreaterThan(ms - 5_000);
    };
    within(`strata:ratelimit:default:{user:${id}}`, 60_000);
    within(`strata:ratelimit:partner-pro:{partner:${id}}`, 60_000);
    within(`strata:ratelimit:partner-pro-burst:{partner:${id}}`, 10_000);
    within(`strata:ratelimit:{auth-register}:auth-register-account:${id}@example.com`, 60_000);
    // a lease's entries count until its hold ends plus a window
    within(`strata:ratelimit:default:{anonymous:${id}-lease}`, 62_000);
    // registration: the account (3 a minute) refused the 4th attempt, so the address paid for 3 only
    expect(await redis.zcard(`strata:ratelimit:{auth-register}:auth-register-address:${id}-addr`)).toBe(3);
    expect(await redis.zcard(`strata:ratelimit:{auth-register}:auth-register-account:${id}@example.com`)).toBe(3);
    expect(await redis.zcard(`strata:ratelimit:partner-pro:{partner:${id}}`)).toBe(50);
  });

  it('never lets leases take more than the limit, and a refused lease takes nothing', async () => {
    const id = uniqueId('lease');
    const lease = (cost: number) => decide(server, { routeClass: 'api', subject: { kind: 'user', id }, cost });

    expect((await lease(30)).remaining).toBe(70);
    expect((await lease(30)).remaining).toBe(40);
    expect((await lease(30)).remaining).toBe(10);
    const tooBig = await lease(30);
    expect(tooBig).toMatchObject({ allowed: false, remaining: 10, cost: 30, retryAfterMs: WINDOW_MS });
    expect(await lease(10)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await lease(1)).toMatchObject({ allowed: false, retryAfterMs: WINDOW_MS });

    // concurrent leases of 7: 14 fit in 100, the 15th would not
    const other = uniqueId('lease');
    const leases = await Promise.all(
      Array.from({ length: 50 }, () => decide(server, { routeClass: 'api', subject: { kind: 'user', id: other }, cost: 7 })),
    );
    expect(count(leases, true) * 7).toBe(98);
  });

  it('keeps the guarantee for held leases spent as late as allowed: no window holds more than the limit', async () => {
    const id = uniqueId('lease-over-time');
    const HOLD_MS = 1_000;
    const start = clock.now();
    // a deterministic pseudo-random schedule: leases of 1..25 tokens, 0..1.5 s apart, for 3 minutes
    let seed = 42;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const grants: { at: number; tokens: number }[] = [];
    let denied = 0;
    while (clock.now() - start < 180_000) {
      const cost = 1 + Math.floor(random() * 25);
      const d = await decide(server, { routeClass: 'api', subject: { kind: 'user', id }, cost, holdMs: HOLD_MS });
      if (d.allowed) grants.push({ at: clock.now(), tokens: cost });
      else denied++;
      clock.advance(Math.floor(random() * 1_500));
    }
    expect(denied).toBeGreaterThan(0);
    // The worst case spends each lease at any moment in [grant, grant + hold]. A window starting
    // right at some lease's last moment then holds every lease granted from then on for a
    // window + hold: those may never exceed the limit.
    expect(busiestWindow(grants, WINDOW_MS + HOLD_MS)).toBeLessThanOrEqual(LIMIT);
    // and leases are not starved: over three minutes nearly three windows' worth passed
    const granted = grants.reduce((sum, g) => sum + g.tokens, 0);
    expect(granted).toBeGreaterThan(2 * LIMIT);
    expect(granted).toBeLessThanOrEqual(4 * LIMIT);
  });
});

describe('POST /v1/decide on the Redis server clock (as in production)', () => {
  let server: FastifyInstance;
  beforeAll(async () => {
    server = await startInstance();
  });
  afterAll(async () => {
    await server?.close();
  });

  // A window is 60 s and this takes well under that, so the counts are exact on the real clock too.
  it('allows exactly 100 of 150 in a row', async () => {
    const id = uniqueId('real-clock');
    const decisions: Decision[] = [];
    for (let i = 0; i < 150; i++) decisions.push(await decide(server, { routeClass: 'api', subject: { kind: 'user', id } }));
    expect(count(decisions, true)).toBe(LIMIT);
    expect(decisions.slice(LIMIT).every((d) => d.retryAfterMs > 0 && d.retryAfterMs <= WINDOW_MS)).toBe(true);
  });

  it('allows exactly 100 of 1,000 concurrent decisions', async () => {
    const id = uniqueId('real-burst');
    const decisions = await Promise.all(
      Array.from({ length: 1_000 }, () => decide(server, { routeClass: 'api', subject: { kind: 'user', id } })),
    );
    expect(count(decisions, true)).toBe(LIMIT);
  });
});

describe('real time, compressed: a policy of 5 per 1 s window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ratelimit-'));
  let server: FastifyInstance;
  beforeAll(async () => {
    const file = join(dir, 'quick.json');
    writeFileSync(
      file,
      JSON.stringify({
        policies: [{ name: 'quick', description: 'Five a second.', limits: [{ by: 'subject', limit: 5, windowSeconds: 1 }] }],
        rules: [{ policy: 'quick' }],
      }),
    );
    server = await startInstance(undefined, { RATELIMIT_POLICIES_FILE: file });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('admits no more than 5 in any second of Redis time, and admits again as slots free', async () => {
    const id = uniqueId('quick');
    // each decision happened somewhere between the two Redis clock readings around it
    const seen: { from: number; to: number; allowed: boolean }[] = [];
    const started = await redisNowMs(redis);
    while ((await redisNowMs(redis)) - started < 3_000) {
      const from = await redisNowMs(redis);
      const d = await decide(server, { routeClass: 'api', subject: { kind: 'user', id } });
      seen.push({ from, to: await redisNowMs(redis), allowed: d.allowed });
      await new Promise((r) => setTimeout(r, 20));
    }
    const admitted = seen.filter((s) => s.allowed);
    // admissions certainly inside one window (their whole interval in it) never number more than 5;
    // readings are whole ms, so a decision read at `to` happened before to + 1
    for (const first of admitted) {
      const inside = admitted.filter((a) => a.from >= first.from && a.to + 1 <= first.from + 1_000);
      expect(inside.length).toBeLessThanOrEqual(5);
    }
    // three seconds give at least two windows' worth, and some were refused
    expect(admitted.length).toBeGreaterThanOrEqual(10);
    expect(seen.some((s) => !s.allowed)).toBe(true);
  });
});

describe('three instances of the service sharing one Redis', () => {
  let instances: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });

  beforeAll(async () => {
    const clock = manualClock();
    instances = await Promise.all([startInstance(clock.now), startInstance(clock.now), startInstance(clock.now)]);
  });

  it('allow exactly 100 of 150 decisions taken in turn, each instance its share', async () => {
    const id = uniqueId('shared');
    const decisions: Decision[] = [];
    for (let i = 0; i < 150; i++) decisions.push(await decide(instances[i % 3]!, { routeClass: 'api', subject: { kind: 'user', id } }));
    expect(count(decisions, true)).toBe(LIMIT);
    const allowedBy = [0, 1, 2].map((k) => decisions.filter((d, i) => i % 3 === k && d.allowed).length);
    expect(allowedBy).toEqual([34, 33, 33]);
  });

  it('allow exactly 100 of 150 concurrent decisions split between them', async () => {
    const id = uniqueId('shared-concurrent');
    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => decide(instances[i % 3]!, { routeClass: 'api', subject: { kind: 'user', id } })),
    );
    expect(count(decisions, true)).toBe(LIMIT);
  });
});

describe('the /v1 routes', () => {
  let server: FastifyInstance;
  beforeAll(async () => {
    server = await startInstance(manualClock().now);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuse callers other than the gateway with 403 problem+json, health and metrics stay open', async () => {
    for (const headers of [{ 'dapr-caller-app-id': 'files' }, {}]) {
      const res = await server.inject({
        method: 'POST',
        url: '/v1/decide',
        headers,
        payload: { routeClass: 'api', subject: { kind: 'user', id: uniqueId('x') } },
      });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 403, type: 'https://strata.dev/problems/forbidden' });
    }
    expect((await server.inject({ method: 'GET', url: '/v1/policies', headers: { 'dapr-caller-app-id': 'sessions' } })).statusCode).toBe(403);
    expect((await server.internalListener.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await server.internalListener.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('answer invalid bodies with 400 and undecidable ones with 422, as problem+json', async () => {
    const post = (payload: unknown) => server.inject({ method: 'POST', url: '/v1/decide', headers: GATEWAY, payload: payload as object });
    const bad = await post({ routeClass: 'api', subject: { kind: 'robot', id: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await post({ routeClass: 'api', subject: { kind: 'user', id: 'x' }, cost: 0 })).statusCode).toBe(400);
    expect((await post({ routeClass: 'api', subject: { kind: 'user', id: 'x' }, holdMs: 10_001 })).statusCode).toBe(400);

    const cases: [unknown, string][] = [
      [{ policy: 'nope', routeClass: 'api', subject: { kind: 'user', id: 'x' } }, 'unknown-policy'],
      [{ routeClass: 'auth.token', subject: { kind: 'user', id: 'x' } }, 'missing-dimension'],
      [{ routeClass: 'api', subject: { kind: 'user', id: 'x' }, cost: 101 }, 'cost-exceeds-burst'],
    ];
    for (const [payload, reason] of cases) {
      const res = await post(payload);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 422, reason });
    }
  });

  it('list the policies with their header and the rules in match order', async () => {
    const res = await server.inject({ method: 'GET', url: '/v1/policies', headers: GATEWAY });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ policies: { name: string; header: string }[]; rules: { policy: string }[] }>();
    expect(body.policies.find((p) => p.name === 'default')?.header).toBe('"default";q=100;w=60');
    expect(body.policies.find((p) => p.name === 'auth-login')?.header).toBe(
      '"auth-login-address";q=10;w=60, "auth-login-account";q=5;w=60',
    );
    expect(body.rules.at(-1)).toEqual({ policy: 'default' });
  });

  it('count decisions by policy and outcome and time the script', async () => {
    const id = uniqueId('metrics');
    for (let i = 0; i < 3; i++) await decide(server, { routeClass: 'auth.register', subject: { kind: 'anonymous', id } });
    await decide(server, { routeClass: 'auth.register', subject: { kind: 'anonymous', id }, cost: 3 });
    const text = (await server.internalListener.inject({ method: 'GET', url: '/metrics' })).body;
    const sample = (name: string, labels: string[]) =>
      text.split('\n').find((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)))?.split(' ')[1];
    expect(sample('ratelimit_decisions_total', ['policy="auth-register"', 'outcome="allowed"'])).toBe('3');
    expect(sample('ratelimit_decisions_total', ['policy="auth-register"', 'outcome="denied"'])).toBe('1');
    expect(sample('ratelimit_script_duration_seconds_count', ['policy="auth-register"'])).toBe('4');
  });
});

describe('without Redis', () => {
  it('answers 503 problem+json, so the gateway can apply its fallback', async () => {
    const server = await startInstance(undefined, { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await server.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: GATEWAY,
        payload: { routeClass: 'api', subject: { kind: 'user', id: uniqueId('down') } },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, detail: 'The rate-limit store is unavailable.' });
      const metrics = (await server.internalListener.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics.split('\n')).toContainEqual(expect.stringMatching(/^ratelimit_decisions_total\{.*policy="default",outcome="error".*\} 1$/));
    } finally {
      await server.close();
    }
  });
});

describe('with APP_API_TOKEN set', () => {
  it('refuses requests that do not carry the sidecar token, whatever app-id they claim', async () => {
    const token = 'a-long-enough-app-api-token';
    const server = await startInstance(manualClock().now, { APP_API_TOKEN: token });
    try {
      const payload = { routeClass: 'api', subject: { kind: 'user', id: uniqueId('token') } };
      const without = await server.inject({ method: 'POST', url: '/v1/decide', headers: GATEWAY, payload });
      expect(without.statusCode).toBe(401);
      const wrong = await server.inject({ method: 'POST', url: '/v1/decide', headers: { ...GATEWAY, 'dapr-api-token': 'x'.repeat(27) }, payload });
      expect(wrong.statusCode).toBe(401);
      const right = await server.inject({ method: 'POST', url: '/v1/decide', headers: { ...GATEWAY, 'dapr-api-token': token }, payload });
      expect(right.statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('RATELIMIT_POLICIES_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ratelimit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the built-in policies with a JSON file checked at boot', async () => {
    const file = join(dir, 'policies.json');
    const policies = {
      policies: [{ name: 'tight', description: 'Three a minute.', limits: [{ by: 'subject', limit: 3, windowSeconds: 60 }] }],
      rules: [{ policy: 'tight' }],
    };
    writeFileSync(file, JSON.stringify(policies));
    const server = await startInstance(manualClock().now, { RATELIMIT_POLICIES_FILE: file });
    try {
      const id = uniqueId('file');
      const decisions: Decision[] = [];
      for (let i = 0; i < 5; i++) decisions.push(await decide(server, { routeClass: 'api', subject: { kind: 'user', id } }));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(decisions[0]!.headers['RateLimit-Policy']).toBe('"tight";q=3;w=60');
    } finally {
      await server.close();
    }
  });

  it('stops the service at boot when the file is wrong, saying what is wrong', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ policies: [{ name: 'a', description: 'a', limits: [{ by: 'subject', limit: 1, windowSeconds: 1 }] }], rules: [{ policy: 'b' }] }));
    await expect(startInstance(undefined, { RATELIMIT_POLICIES_FILE: file })).rejects.toThrow(/bad\.json: rule 1 names unknown policy "b"/);
    await expect(startInstance(undefined, { RATELIMIT_POLICIES_FILE: join(dir, 'missing.json') })).rejects.toThrow(/missing\.json: ENOENT/);
  });
});
