/**
 * The RateLimit-Policy and RateLimit fields of "RateLimit header fields for HTTP"
 * (draft-ietf-httpapi-ratelimit-headers), in their structured-field form (RFC 9651): each field is
 * a List whose members are a limit's name (an sf-string) with integer parameters.
 *
 *   RateLimit-Policy: "default";q=100;w=60       quota q per window w seconds
 *   RateLimit: "default";r=42;t=17               r units remaining, full again in t seconds
 *
 * and Retry-After (RFC 9110) in seconds on a refusal. The ratelimit service writes them into its
 * answers; the gateway writes them for what it decides itself (leases, the fallback).
 */

export interface HeaderLimit {
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface HeaderState extends HeaderLimit {
  remaining: number;
  resetMs: number;
}

export interface RateLimitHeaders {
  'RateLimit-Policy': string;
  RateLimit: string;
  'Retry-After'?: string;
}

/** An sf-string: printable ASCII only, with `"` and `\` escaped. */
export function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`not a structured-field string: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** An sf-integer: at most 15 digits. Quotas and remaining units never go below zero here. */
function sfInteger(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 999_999_999_999_999) {
    throw new Error(`not a non-negative structured-field integer: ${value}`);
  }
  return String(value);
}

/** Seconds, rounded up: a client told "0" while the window is still full would retry too soon. */
export function toSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

export function rateLimitPolicyField(limits: readonly HeaderLimit[]): string {
  return limits.map((l) => `${sfString(l.name)};q=${sfInteger(l.limit)};w=${sfInteger(l.windowSeconds)}`).join(', ');
}

export function rateLimitField(states: readonly HeaderState[]): string {
  return states.map((s) => `${sfString(s.name)};r=${sfInteger(s.remaining)};t=${sfInteger(toSeconds(s.resetMs))}`).join(', ');
}

/** Both fields, in the order given, and Retry-After when a retry is due. */
export function rateLimitHeaders(states: readonly HeaderState[], retryAfterMs?: number): RateLimitHeaders {
  const headers: RateLimitHeaders = {
    'RateLimit-Policy': rateLimitPolicyField(states),
    RateLimit: rateLimitField(states),
  };
  if (retryAfterMs !== undefined && retryAfterMs > 0) headers['Retry-After'] = String(toSeconds(retryAfterMs));
  return headers;
}

/**
 * The limit that binds first, the others in policy order: clients that read one member read the
 * first. It is the one that refused (the longest wait) or, when admitted, the one with the fewest
 * units left; ties go to the earlier limit.
 */
export function bindingFirst<T extends { remaining: number; retryAfterMs: number }>(states: readonly T[], allowed: boolean): T[] {
  let best = 0;
  states.forEach((s, i) => {
    const b = states[best]!;
    if (allowed ? s.remaining < b.remaining : s.retryAfterMs > b.retryAfterMs) best = i;
  });
  return states.length === 0 ? [] : [states[best]!, ...states.filter((_, i) => i !== best)];
}
