import { describe, expect, it } from 'vitest';
import { bindingFirst, rateLimitField, rateLimitHeaders, rateLimitPolicyField, sfString, toSeconds } from '../../src/rate-policy/index.js';

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers, structured fields)', () => {
  it('writes a policy as a quoted name with q and w', () => {
    expect(rateLimitPolicyField([{ name: 'default', limit: 100, windowSeconds: 60 }])).toBe('"default";q=100;w=60');
  });

  it('writes the current state with r and t, t in whole seconds rounded up', () => {
    expect(rateLimitField([{ name: 'default', limit: 100, windowSeconds: 60, remaining: 42, resetMs: 16_001 }])).toBe(
      '"default";r=42;t=17',
    );
    expect(rateLimitField([{ name: 'default', limit: 100, windowSeconds: 60, remaining: 100, resetMs: 0 }])).toBe(
      '"default";r=100;t=0',
    );
  });

  it('lists several limits as members of one field, in the order given', () => {
    const states = [
      { name: 'auth-login-account', limit: 5, windowSeconds: 60, remaining: 0, resetMs: 60_000 },
      { name: 'auth-login-address', limit: 10, windowSeconds: 60, remaining: 9, resetMs: 6_000 },
    ];
    expect(rateLimitHeaders(states)).toEqual({
      'RateLimit-Policy': '"auth-login-account";q=5;w=60, "auth-login-address";q=10;w=60',
      RateLimit: '"auth-login-account";r=0;t=60, "auth-login-address";r=9;t=6',
    });
  });

  it('adds Retry-After in whole seconds only when a retry is due', () => {
    const states = [{ name: 'default', limit: 100, windowSeconds: 60, remaining: 0, resetMs: 60_000 }];
    expect(rateLimitHeaders(states, 600)['Retry-After']).toBe('1');
    expect(rateLimitHeaders(states, 1_001)['Retry-After']).toBe('2');
    expect(rateLimitHeaders(states, 0)).not.toHaveProperty('Retry-After');
    expect(rateLimitHeaders(states)).not.toHaveProperty('Retry-After');
  });

  it('escapes quotes and backslashes and refuses what a structured field cannot carry', () => {
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => sfString('café')).toThrow(/structured-field string/);
    expect(() => sfString('a\nb')).toThrow(/structured-field string/);
    expect(() =>
      rateLimitField([{ name: 'x', limit: 1, windowSeconds: 1, remaining: -1, resetMs: 0 }]),
    ).toThrow(/non-negative/);
  });

  it('rounds milliseconds up to seconds', () => {
    expect([0, -5, 1, 999, 1_000, 1_001].map(toSeconds)).toEqual([0, 0, 1, 1, 1, 2]);
  });

  it('puts the binding limit first: the fewest units left when admitted, the longest wait when refused', () => {
    const states = [
      { name: 'partner-pro', limit: 1200, windowSeconds: 60, remaining: 900, resetMs: 59_001, retryAfterMs: 0 },
      { name: 'partner-pro-burst', limit: 300, windowSeconds: 10, remaining: 0, resetMs: 1, retryAfterMs: 1_500 },
      { name: 'partner-pro-hour', limit: 9000, windowSeconds: 3600, remaining: 0, resetMs: 3_000, retryAfterMs: 2_500 },
    ];
    expect(bindingFirst(states, true).map((s) => s.name)).toEqual(['partner-pro-burst', 'partner-pro', 'partner-pro-hour']);
    expect(bindingFirst(states, false).map((s) => s.name)).toEqual(['partner-pro-hour', 'partner-pro', 'partner-pro-burst']);
    expect(rateLimitHeaders(bindingFirst(states.slice(0, 2), false), 1_500)).toEqual({
      'RateLimit-Policy': '"partner-pro-burst";q=300;w=10, "partner-pro";q=1200;w=60',
      RateLimit: '"partner-pro-burst";r=0;t=1, "partner-pro";r=900;t=60',
      'Retry-After': '2',
    });
    expect(bindingFirst([], true)).toEqual([]);
  });
});
