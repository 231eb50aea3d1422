import { RateLimitRouteClasses as RouteClasses } from '@strata/contracts';
import { compilePolicySet, defaultPolicySet } from '@strata/service-kit/rate-policy';
import { describe, expect, it } from 'vitest';
import { DecisionError, planDecision, summarize } from '../src/domain/decide.js';

const set = compilePolicySet(defaultPolicySet);

describe('planning a decision', () => {
  it('keys each limit of a partner plan on the same client', () => {
    const plan = planDecision(set, { routeClass: 'api', subject: { kind: 'partner', id: 'acme', plan: 'pro' } });
    expect(plan.checks.map((c) => c.key)).toEqual([
      'strata:ratelimit:partner-pro:{partner:acme}',
      'strata:ratelimit:partner-pro-burst:{partner:acme}',
    ]);
  });

  it('keys the default policy by caller kind and id', () => {
    const plan = planDecision(set, { routeClass: 'api', subject: { kind: 'user', id: 'u-1' } });
    expect(plan.checks.map((c) => c.key)).toEqual(['strata:ratelimit:default:{user:u-1}']);
    expect(plan.cost).toBe(1);
    expect(plan.holdMs).toBe(0);
    const anonymous = planDecision(set, { routeClass: 'api', subject: { kind: 'anonymous', id: '203.0.113.9' } });
    expect(anonymous.checks.map((c) => c.key)).toEqual(['strata:ratelimit:default:{anonymous:203.0.113.9}']);
  });

  it('counts sign-in by address and by the account in lower case', () => {
    const plan = planDecision(set, {
      routeClass: RouteClasses.login,
      subject: { kind: 'anonymous', id: '203.0.113.9', account: ' Alice@Example.COM ' },
    });
    expect(plan.checks.map((c) => c.key)).toEqual([
      'strata:ratelimit:{auth-login}:auth-login-address:203.0.113.9',
      'strata:ratelimit:{auth-login}:auth-login-account:alice@example.com',
    ]);
  });

  it('skips an optional account that is not given, but not a required address', () => {
    const plan = planDecision(set, { routeClass: RouteClasses.login, subject: { kind: 'anonymous', id: '203.0.113.9' } });
    expect(plan.checks.map((c) => c.limit.name)).toEqual(['auth-login-address']);
    const withAddress = planDecision(set, {
      routeClass: RouteClasses.token,
      subject: { kind: 'user', id: 'u-1', address: '198.51.100.7', account: 'u-1' },
    });
    expect(withAddress.checks.map((c) => c.key)).toEqual([
      'strata:ratelimit:{auth-token}:auth-token-address:198.51.100.7',
      'strata:ratelimit:{auth-token}:auth-token-account:u-1',
    ]);
    expect(() => planDecision(set, { routeClass: RouteClasses.token, subject: { kind: 'user', id: 'u-1' } })).toThrow(
      expect.objectContaining({ code: 'missing-dimension' }),
    );
  });

  it('takes a named policy, and refuses an unknown one or a cost above the burst', () => {
    expect(planDecision(set, { policy: 'partner-pro', routeClass: 'api', subject: { kind: 'user', id: 'u' } }).policy.name).toBe(
      'partner-pro',
    );
    const refuse = (request: Parameters<typeof planDecision>[1]) => {
      try {
        planDecision(set, request);
      } catch (error) {
        return error instanceof DecisionError ? error.code : 'other';
      }
      return 'accepted';
    };
    expect(refuse({ policy: 'nope', routeClass: 'api', subject: { kind: 'user', id: 'u' } })).toBe('unknown-policy');
    expect(refuse({ routeClass: 'api', subject: { kind: 'user', id: 'u' }, cost: 101 })).toBe('cost-exceeds-burst');
    expect(refuse({ routeClass: 'api', subject: { kind: 'user', id: 'u' }, cost: 100 })).toBe('accepted');
  });
});

describe('summarizing a decision', () => {
  const plan = planDecision(set, { routeClass: RouteClasses.login, subject: { kind: 'anonymous', id: 'a', account: 'b' } });

  it('puts the limit with the fewest tokens left first when allowed', () => {
    const d = summarize(plan, {
      allowed: true,
      nowMs: 0,
      checks: [
        { conforms: true, remaining: 7, resetMs: 18_000, retryAfterMs: 0 },
        { conforms: true, remaining: 2, resetMs: 36_000, retryAfterMs: 0 },
      ],
    });
    expect(d).toMatchObject({ allowed: true, policy: 'auth-login', limit: 5, remaining: 2, resetMs: 36_000, retryAfterMs: 0 });
    expect(d.headers.RateLimit).toBe('"auth-login-account";r=2;t=36, "auth-login-address";r=7;t=18');
  });

  it('puts the limit that refused first when denied, and waits for the slowest', () => {
    const d = summarize(plan, {
      allowed: false,
      nowMs: 0,
      checks: [
        { conforms: false, remaining: 0, resetMs: 60_000, retryAfterMs: 6_000 },
        { conforms: true, remaining: 4, resetMs: 12_000, retryAfterMs: 0 },
      ],
    });
    expect(d).toMatchObject({ allowed: false, limit: 10, remaining: 0, retryAfterMs: 6_000 });
    expect(d.headers).toEqual({
      'RateLimit-Policy': '"auth-login-address";q=10;w=60, "auth-login-account";q=5;w=60',
      RateLimit: '"auth-login-address";r=0;t=60, "auth-login-account";r=4;t=12',
      'Retry-After': '6',
    });
  });
});
