import { describe, expect, it } from 'vitest';
import { DecisionError, planDecision, summarize } from '../src/domain/decide.js';
import { RouteClasses, defaultPolicySet } from '../src/domain/default-policies.js';
import { PolicySetError, type SubjectKind, compilePolicySet, selectPolicy } from '../src/domain/policies.js';

const set = compilePolicySet(defaultPolicySet);

function problemsOf(input: unknown): string[] {
  try {
    compilePolicySet(input);
  } catch (error) {
    if (error instanceof PolicySetError) return error.problems;
    throw error;
  }
  throw new Error('the policy set was accepted');
}

const one = (name: string, limit = 10) => ({ name, description: name, limits: [{ by: 'subject', limit, windowSeconds: 60 }] });

describe('policy selection by (route class, caller kind, plan)', () => {
  it.each<[string, SubjectKind, string | undefined, string]>([
    [RouteClasses.api, 'user', undefined, 'default'],
    [RouteClasses.api, 'anonymous', undefined, 'default'],
    [RouteClasses.api, 'user', 'pro', 'default'],
    ['files.upload', 'user', undefined, 'default'],
    [RouteClasses.login, 'anonymous', undefined, 'auth-login'],
    [RouteClasses.login, 'user', undefined, 'auth-login'],
    [RouteClasses.login, 'partner', 'enterprise', 'auth-login'],
    [RouteClasses.register, 'anonymous', undefined, 'auth-register'],
    [RouteClasses.token, 'user', undefined, 'auth-token'],
    [RouteClasses.api, 'partner', undefined, 'partner-standard'],
    [RouteClasses.api, 'partner', 'standard', 'partner-standard'],
    [RouteClasses.api, 'partner', 'gold', 'partner-standard'],
    [RouteClasses.api, 'partner', 'pro', 'partner-pro'],
    [RouteClasses.api, 'partner', 'enterprise', 'partner-enterprise'],
  ])('%s by a %s caller on plan %s → %s', (routeClass, callerKind, plan, expected) => {
    expect(selectPolicy(set, { routeClass, callerKind, plan }).name).toBe(expected);
  });

  it('makes the default the seed WAF rule: 100 per minute, per client', () => {
    const policy = set.policies.get('default')!;
    expect(policy.limits).toEqual([
      { name: 'default', by: 'subject', limit: 100, windowSeconds: 60, burst: 100, optional: false, windowUs: 60_000_000 },
    ]);
  });

  it('bounds partner bursts with a second, shorter window on the same client', () => {
    const limits = set.policies.get('partner-pro')!.limits.map((l) => [l.name, l.by, l.limit, l.windowSeconds]);
    expect(limits).toEqual([
      ['partner-pro', 'subject', 1_200, 60],
      ['partner-pro-burst', 'subject', 300, 10],
    ]);
    const plan = planDecision(set, { routeClass: 'api', subject: { kind: 'partner', id: 'acme', plan: 'pro' } });
    expect(plan.checks.map((c) => c.key)).toEqual([
      'strata:ratelimit:partner-pro:partner:acme',
      'strata:ratelimit:partner-pro-burst:partner:acme',
    ]);
  });

  it('counts sign-in per address and per account, the account stricter', () => {
    const limits = set.policies.get('auth-login')!.limits.map((l) => [l.name, l.by, l.limit, l.windowSeconds]);
    expect(limits).toEqual([
      ['auth-login-address', 'address', 10, 60],
      ['auth-login-account', 'account', 5, 60],
    ]);
  });
});

describe('policy set validation at boot', () => {
  it('reports the shape with TypeBox', () => {
    expect(problemsOf({ policies: [{ name: 'Bad Name', description: 'x', limits: [] }], rules: [] }).length).toBeGreaterThan(0);
    expect(problemsOf({ policies: [one('a')], rules: [{ policy: 'a' }], extra: 1 }).join()).toMatch(/extra|additional/i);
    expect(problemsOf({ policies: [{ ...one('a'), limits: [{ by: 'ip', limit: 1, windowSeconds: 1 }] }], rules: [{ policy: 'a' }] }))
      .not.toEqual([]);
  });

  it('reports every meaning problem at once', () => {
    const problems = problemsOf({
      policies: [one('a'), one('a'), { name: 'b', description: 'b', limits: [{ by: 'account', limit: 1, windowSeconds: 1, optional: true }] }],
      rules: [{ callerKind: 'partner', policy: 'a' }, { callerKind: 'partner', plan: 'pro', policy: 'a' }, { routeClass: 'x', policy: 'nope' }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'policy "a" is defined twice',
        expect.stringContaining('limit name "a" is used twice'),
        expect.stringContaining('policy "b" has only optional limits'),
        'rule 2 can never match: rule 1 matches everything it does',
        'rule 3 names unknown policy "nope"',
        'the last rule must match every request (name only a policy)',
      ]),
    );
  });

  it('refuses a burst field (the sliding log admits at most the limit in any window) and limits above 100,000 entries', () => {
    const withBurst = { name: 'b', description: 'b', limits: [{ by: 'subject', limit: 10, windowSeconds: 60, burst: 5 }] };
    expect(problemsOf({ policies: [withBurst], rules: [{ policy: 'b' }] }).join()).toMatch(/burst|additional/i);
    const huge = { name: 'h', description: 'h', limits: [{ by: 'subject', limit: 100_001, windowSeconds: 60 }] };
    expect(problemsOf({ policies: [huge], rules: [{ policy: 'h' }] })).not.toEqual([]);
  });

  it('accepts the built-in set', () => {
    expect([...set.policies.keys()]).toContain('default');
  });
});

describe('planning a decision', () => {
  it('keys the default policy by caller kind and id', () => {
    const plan = planDecision(set, { routeClass: 'api', subject: { kind: 'user', id: 'u-1' } });
    expect(plan.checks.map((c) => c.key)).toEqual(['strata:ratelimit:default:user:u-1']);
    expect(plan.cost).toBe(1);
    expect(plan.holdMs).toBe(0);
    const anonymous = planDecision(set, { routeClass: 'api', subject: { kind: 'anonymous', id: '203.0.113.9' } });
    expect(anonymous.checks.map((c) => c.key)).toEqual(['strata:ratelimit:default:anonymous:203.0.113.9']);
  });

  it('counts sign-in by address and by the account in lower case', () => {
    const plan = planDecision(set, {
      routeClass: RouteClasses.login,
      subject: { kind: 'anonymous', id: '203.0.113.9', account: ' Alice@Example.COM ' },
    });
    expect(plan.checks.map((c) => c.key)).toEqual([
      'strata:ratelimit:auth-login-address:203.0.113.9',
      'strata:ratelimit:auth-login-account:alice@example.com',
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
      'strata:ratelimit:auth-token-address:198.51.100.7',
      'strata:ratelimit:auth-token-account:u-1',
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
