import { describe, expect, it } from 'vitest';
import { LocalLimiter, accountOf, rateLimitFields, routeClassOf } from '../src/plugins/rate-limit.js';

describe('what a request is, for rate limits', () => {
  it('classes sign-in, registration and token routes apart from the rest', () => {
    expect(routeClassOf('/api/v1/auth/login')).toBe('auth.login');
    expect(routeClassOf('/api/v1/auth/register')).toBe('auth.register');
    expect(routeClassOf('/api/v1/auth/token')).toBe('auth.token');
    expect(routeClassOf('/api/v1/auth/refresh')).toBe('auth.token');
    expect(routeClassOf('/api/v1/auth/logout')).toBe('api');
    expect(routeClassOf('/api/v1/me')).toBe('api');
    // only a POST signs in: a GET is an ordinary (405) request
    expect(routeClassOf('/api/v1/auth/login', 'GET')).toBe('api');
  });

  it('finds the account a request names: e-mail, client id, or refresh session', () => {
    const json = { 'content-type': 'application/json' };
    expect(accountOf('auth.login', json, Buffer.from('{"email":" Alice@x.test ","password":"p"}'))).toBe('Alice@x.test');
    expect(accountOf('auth.register', json, Buffer.from('not json'))).toBeUndefined();
    expect(accountOf('api', json, Buffer.from('{"email":"a@x.test"}'))).toBeUndefined();
    const basic = `Basic ${Buffer.from('acme-client:secret').toString('base64')}`;
    expect(accountOf('auth.token', { authorization: basic }, undefined)).toBe('acme-client');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(accountOf('auth.token', form, Buffer.from('grant_type=client_credentials&client_id=acme&client_secret=s'))).toBe('acme');
    expect(accountOf('auth.token', { cookie: 'a=b; strata_refresh=sessionid0123456789.secretsecretsecretsecret' }, undefined)).toBe(
      'sessionid0123456789',
    );
  });
});

describe('the RateLimit fields the gateway composes', () => {
  it('puts the binding limit first and adds Retry-After only for a refusal', () => {
    const states = [
      { name: 'partner-pro', quota: 1200, windowSeconds: 60, remaining: 900, resetMs: 59_001 },
      { name: 'partner-pro-burst', quota: 300, windowSeconds: 10, remaining: 0, resetMs: 1 },
    ];
    expect(rateLimitFields(states, 1_500)).toEqual({
      'RateLimit-Policy': '"partner-pro-burst";q=300;w=10, "partner-pro";q=1200;w=60',
      RateLimit: '"partner-pro-burst";r=0;t=1, "partner-pro";r=900;t=60',
      'Retry-After': '2',
    });
    expect(rateLimitFields(states, 0)).not.toHaveProperty('Retry-After');
  });
});

describe('the local fallback limit', () => {
  it('gives each replica the policy divided by the replicas, as an exact sliding window', () => {
    const local = new LocalLimiter(3);
    const subject = { kind: 'user' as const, id: 'u-1', address: '10.0.0.1' };
    const at = 1_000_000;
    const answers = Array.from({ length: 40 }, () => local.decide('api', subject, at));
    expect(answers.filter((a) => a.allowed)).toHaveLength(33);
    expect(answers[32]!.headers).toEqual({ 'RateLimit-Policy': '"default";q=33;w=60', RateLimit: '"default";r=0;t=60' });
    expect(answers[33]).toMatchObject({ allowed: false, retryAfterSeconds: 60, headers: { 'Retry-After': '60' } });
    // one slot frees exactly a window after the first admission
    expect(local.decide('api', subject, at + 59_999).allowed).toBe(false);
    expect(local.decide('api', subject, at + 60_000).allowed).toBe(true);
  });

  it('applies the service policies once known, by address and account for sign-in', () => {
    const local = new LocalLimiter(3);
    local.policies = {
      policies: [
        { name: 'default', limits: [{ name: 'default', by: 'subject', limit: 100, windowSeconds: 60, optional: false }] },
        {
          name: 'auth-login',
          limits: [
            { name: 'auth-login-address', by: 'address', limit: 10, windowSeconds: 60, optional: false },
            { name: 'auth-login-account', by: 'account', limit: 5, windowSeconds: 60, optional: true },
          ],
        },
      ],
      rules: [{ routeClass: 'auth.login', policy: 'auth-login' }, { policy: 'default' }],
    };
    const login = (account: string) => local.decide('auth.login', { kind: 'anonymous', id: '10.0.0.2', address: '10.0.0.2', account }, 5_000);
    expect(login('a@x.test')).toMatchObject({ allowed: true, policy: 'auth-login' });
    expect(login('A@x.test').allowed).toBe(false); // 5 / 3 = 1 per replica for the account, case-insensitive
    expect(login('b@x.test').allowed).toBe(true);
    expect(login('c@x.test').allowed).toBe(true);
    expect(login('d@x.test').allowed).toBe(false); // 10 / 3 = 3 per replica for the address
  });
});
