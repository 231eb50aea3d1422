import { RateLimitRouteClasses as RouteClasses } from '@strata/contracts';
import type { PolicySetDefinition } from './schema.js';

/**
 * The built-in policy set: what the ratelimit service enforces, and what the gateway's fallback
 * decides by until the service has told it its own. The default is the seed's WAF rule
 * (RateLimitRule: 100 requests per PT1M per client). Sign-in, registration and token refresh are the routes attackers hammer
 * (credential stuffing, account enumeration), so they count per address and per account at once.
 * A deployment can replace the whole set with RATELIMIT_POLICIES_FILE (same shape, as JSON).
 */
export const defaultPolicySet = {
  policies: [
    {
      name: 'default',
      description: 'Every API call: 100 per minute per client (user id, partner client id, or address when anonymous).',
      limits: [{ by: 'subject', limit: 100, windowSeconds: 60 }],
    },
    {
      name: 'auth-login',
      description: 'Sign-in: 10 per minute per address and 5 per minute per account named.',
      limits: [
        { by: 'address', limit: 10, windowSeconds: 60 },
        { by: 'account', limit: 5, windowSeconds: 60, optional: true },
      ],
    },
    {
      name: 'auth-register',
      description: 'Registration: 5 per minute per address and 3 per minute per e-mail address registered.',
      limits: [
        { by: 'address', limit: 5, windowSeconds: 60 },
        { by: 'account', limit: 3, windowSeconds: 60, optional: true },
      ],
    },
    {
      name: 'auth-token',
      description: 'Token refresh: 30 per minute per address and 10 per minute per account.',
      limits: [
        { by: 'address', limit: 30, windowSeconds: 60 },
        { by: 'account', limit: 10, windowSeconds: 60, optional: true },
      ],
    },
    {
      name: 'partner-standard',
      description: 'Partner clients on the standard plan (and partners without a plan): 300 per minute per client id.',
      limits: [{ by: 'subject', limit: 300, windowSeconds: 60 }],
    },
    {
      name: 'partner-pro',
      description: 'Partner clients on the pro plan: 1,200 per minute per client id, and at most 300 in any 10 s.',
      limits: [
        { name: 'partner-pro', by: 'subject', limit: 1_200, windowSeconds: 60 },
        { name: 'partner-pro-burst', by: 'subject', limit: 300, windowSeconds: 10 },
      ],
    },
    {
      name: 'partner-enterprise',
      description: 'Partner clients on the enterprise plan: 6,000 per minute per client id, and at most 1,000 in any 10 s.',
      limits: [
        { name: 'partner-enterprise', by: 'subject', limit: 6_000, windowSeconds: 60 },
        { name: 'partner-enterprise-burst', by: 'subject', limit: 1_000, windowSeconds: 10 },
      ],
    },
  ],
  // first match wins: route classes before caller kinds, plans before the plan-less fallback. A
  // class no rule names falls through to the caller-kind rules and then to `default`, so the
  // gateway may introduce a class before a policy exists for it.
  rules: [
    { routeClass: RouteClasses.login, policy: 'auth-login' },
    { routeClass: RouteClasses.register, policy: 'auth-register' },
    { routeClass: RouteClasses.token, policy: 'auth-token' },
    { callerKind: 'partner', plan: 'enterprise', policy: 'partner-enterprise' },
    { callerKind: 'partner', plan: 'pro', policy: 'partner-pro' },
    { callerKind: 'partner', policy: 'partner-standard' },
    { policy: 'default' },
  ],
} satisfies PolicySetDefinition;
