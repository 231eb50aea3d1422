import { PublicRoutes, type RateLimitRouteClass, RateLimitRouteClasses, publicRouteOf } from '@strata/contracts';

/*
 * Which routes are limited, and in which class: both read the public route table (PublicRoutes in
 * @strata/contracts), the one place that says what the public surface is.
 */

/**
 * The rate-limit class of the route a request reaches: sign-in, registration and token POSTs have
 * their own, stricter policies; everything else is `api`. `path` is the canonical path.
 */
export function routeClassOf(path: string, method = 'POST'): RateLimitRouteClass {
  if (method !== 'POST') return RateLimitRouteClasses.api;
  const route = publicRouteOf(path);
  return route?.path === path && route.rateClass ? route.rateClass : RateLimitRouteClasses.api;
}

const segmentsMatch = (fixed: string, row: string) => fixed === row || (row === '*' && fixed !== '');

/**
 * Whether a route, by the pattern it is registered with, can serve a path of the table: then
 * every request it serves is decided first, whatever its answer (a 404 under the API costs what
 * any call costs, so probing for paths is limited too). A literal pattern is limited when a row
 * covers it; a pattern with `*` or `:param` when its fixed segments lead to a row or lie below
 * one. The UI's catch-all (`/*`), the docs and the internal routes name no row.
 */
export function limitsRoute(pattern: string): boolean {
  const segments = pattern.split('/');
  const open = segments.findIndex((s) => s.includes('*') || s.startsWith(':'));
  if (open < 0) return publicRouteOf(pattern) !== undefined;
  const fixed = segments.slice(1, open);
  if (fixed.length === 0) return false;
  return PublicRoutes.some((route) => {
    const row = route.path.split('/').slice(1);
    return fixed.slice(0, row.length).every((s, i) => segmentsMatch(s, row[i]!));
  });
}
