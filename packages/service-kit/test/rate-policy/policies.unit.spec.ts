import { RateLimitRouteClasses as RouteClasses } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import {
  MissingDimensionError,
  PolicySetError,
  type SubjectKind,
  compilePolicySet,
  countedLimits,
  defaultPolicySet,
  dimensionValue,
  policyFor,
  policySetFromView,
  policySetView,
  selectPolicy,
} from '../../src/rate-policy/index.js';

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
    const counted = countedLimits(policyFor(set, 'api', { kind: 'partner', id: 'acme', plan: 'pro' }), { kind: 'partner', id: 'acme', plan: 'pro' });
    expect(counted.map((c) => [c.limit.name, c.value])).toEqual([
      ['partner-pro', 'partner:acme'],
      ['partner-pro-burst', 'partner:acme'],
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

describe('what each limit counts', () => {
  it('counts the caller as kind and id, the address, and the account trimmed and in lower case', () => {
    const subject = { kind: 'user' as const, id: 'u-1', address: '198.51.100.7', account: ' Alice@Example.COM ' };
    expect(dimensionValue(subject, 'subject')).toBe('user:u-1');
    expect(dimensionValue(subject, 'address')).toBe('198.51.100.7');
    expect(dimensionValue(subject, 'account')).toBe('alice@example.com');
  });

  it('takes an anonymous caller id as its address, and no account from blanks', () => {
    expect(dimensionValue({ kind: 'anonymous', id: '203.0.113.9' }, 'address')).toBe('203.0.113.9');
    expect(dimensionValue({ kind: 'user', id: 'u-1' }, 'address')).toBeUndefined();
    expect(dimensionValue({ kind: 'user', id: 'u-1', account: '   ' }, 'account')).toBeUndefined();
  });

  it('skips an optional limit the request gives no value for, and refuses a required one', () => {
    const login = set.policies.get('auth-login')!;
    expect(countedLimits(login, { kind: 'anonymous', id: '203.0.113.9' }).map((c) => c.limit.name)).toEqual(['auth-login-address']);
    expect(() => countedLimits(set.policies.get('auth-token')!, { kind: 'user', id: 'u-1' })).toThrow(MissingDimensionError);
  });
});

describe('the view GET /v1/policies answers', () => {
  it('shows every policy with its field and the rules, and reads back into the same set', () => {
    const view = policySetView(set);
    expect(view.policies.find((p) => p.name === 'auth-login')).toMatchObject({
      header: '"auth-login-address";q=10;w=60, "auth-login-account";q=5;w=60',
      limits: [
        { name: 'auth-login-address', by: 'address', limit: 10, windowSeconds: 60, burst: 10, optional: false },
        { name: 'auth-login-account', by: 'account', limit: 5, windowSeconds: 60, burst: 5, optional: true },
      ],
    });
    expect(view.rules).toEqual(defaultPolicySet.rules);
    expect(policySetFromView(JSON.parse(JSON.stringify(view)))).toEqual(set);
  });

  it('refuses a view that is not one, or whose meaning is wrong, as a policy file is refused', () => {
    const problems = (input: unknown) => {
      try {
        policySetFromView(input);
      } catch (error) {
        if (error instanceof PolicySetError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ policies: 'all of them' }).length).toBeGreaterThan(0);
    const view = policySetView(set);
    expect(problems({ ...view, rules: [{ policy: 'nope' }] })).toEqual(['rule 1 names unknown policy "nope"']);
  });
});

