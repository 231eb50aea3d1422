import { compilePolicySet } from '@strata/service-kit/rate-policy';
import { describe, expect, it } from 'vitest';
import { LocalLimiter } from '../../src/plugins/rate-limit/fallback.js';

/** A clock the test moves by hand. */
function handClock(start = 1_000_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('the local fallback limit', () => {
  it('gives each replica the policy divided by the replicas, as an exact sliding window', () => {
    const clock = handClock();
    const local = new LocalLimiter(3, clock.read);
    const subject = { kind: 'user' as const, id: 'u-1', address: '10.0.0.1' };
    const answers = Array.from({ length: 40 }, () => local.decide('api', subject));
    expect(answers.filter((a) => a.allowed)).toHaveLength(33);
    expect(answers[32]!.headers).toEqual({ 'RateLimit-Policy': '"default";q=33;w=60', RateLimit: '"default";r=0;t=60' });
    expect(answers[33]).toMatchObject({ allowed: false, retryAfterSeconds: 60, headers: { 'Retry-After': '60' } });
    // one slot frees exactly a window after the first admission
    clock.now += 59_999;
    expect(local.decide('api', subject).allowed).toBe(false);
    clock.now += 1;
    expect(local.decide('api', subject).allowed).toBe(true);
  });

  it('counts what it can when a policy requires a value the request does not give, and never throws', () => {
    const local = new LocalLimiter(1, handClock().read);
    local.policies = compilePolicySet({
      policies: [
        { name: 'default', description: 'd', limits: [{ by: 'subject', limit: 100, windowSeconds: 60 }] },
        { name: 'strict-token', description: 't', limits: [{ by: 'address', limit: 2, windowSeconds: 60 }, { by: 'account', limit: 1, windowSeconds: 60 }] },
      ],
      rules: [{ routeClass: 'auth.token', policy: 'strict-token' }, { policy: 'default' }],
    });
    const token = () => local.decide('auth.token', { kind: 'anonymous', id: '10.0.0.9', address: '10.0.0.9' });
    expect([token(), token(), token()].map((a) => a.allowed)).toEqual([true, true, false]);
  });

  it('decides by the built-in policies before the service has told it its own: sign-in per address', () => {
    const local = new LocalLimiter(3, handClock().read);
    const login = (account: string) => local.decide('auth.login', { kind: 'anonymous', id: '10.0.0.3', address: '10.0.0.3', account });
    expect(login('a@x.test')).toMatchObject({ allowed: true, policy: 'auth-login' });
  });

  it('applies the service policies once known, by address and account for sign-in', () => {
    const local = new LocalLimiter(3, handClock(5_000).read);
    local.policies = compilePolicySet({
      policies: [
        { name: 'default', description: 'd', limits: [{ by: 'subject', limit: 100, windowSeconds: 60 }] },
        {
          name: 'auth-login',
          description: 'l',
          limits: [
            { name: 'auth-login-address', by: 'address', limit: 10, windowSeconds: 60 },
            { name: 'auth-login-account', by: 'account', limit: 5, windowSeconds: 60, optional: true },
          ],
        },
      ],
      rules: [{ routeClass: 'auth.login', policy: 'auth-login' }, { policy: 'default' }],
    });
    const login = (account: string) => local.decide('auth.login', { kind: 'anonymous', id: '10.0.0.2', address: '10.0.0.2', account });
    expect(login('a@x.test')).toMatchObject({ allowed: true, policy: 'auth-login' });
    const refused = login('A@x.test'); // 5 / 3 = 1 per replica for the account, case-insensitive
    expect(refused.allowed).toBe(false);
    // the limit that refused comes first, and the refusal took nothing from the address
    expect(refused.headers).toEqual({
      'RateLimit-Policy': '"auth-login-account";q=1;w=60, "auth-login-address";q=3;w=60',
      RateLimit: '"auth-login-account";r=0;t=60, "auth-login-address";r=2;t=60',
      'Retry-After': '60',
    });
    expect(login('b@x.test').allowed).toBe(true);
    expect(login('c@x.test').allowed).toBe(true);
    expect(login('d@x.test').allowed).toBe(false); // 10 / 3 = 3 per replica for the address
  });
});
