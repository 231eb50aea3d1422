import { PublicRoutes } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import { limitsRoute, routeClassOf } from '../../src/plugins/rate-limit/routes.js';

describe('route classes, from the public route table', () => {
  it('classes sign-in, registration and token routes apart from the rest', () => {
    expect(routeClassOf('/api/v1/auth/login')).toBe('auth.login');
    expect(routeClassOf('/api/v1/auth/register')).toBe('auth.register');
    expect(routeClassOf('/api/v1/auth/token')).toBe('auth.token');
    expect(routeClassOf('/api/v1/auth/refresh')).toBe('auth.token');
    expect(routeClassOf('/api/v1/auth/logout')).toBe('api');
    expect(routeClassOf('/api/v1/me')).toBe('api');
    // only a POST signs in: a GET is an ordinary (405) request
    expect(routeClassOf('/api/v1/auth/login', 'GET')).toBe('api');
    // the class is the exact row's: a path below it is an ordinary request
    expect(routeClassOf('/api/v1/auth/login/again')).toBe('api');
  });
});

describe('which routes are limited, from the public route table', () => {
  it('limits every route the table names, the gateway-owned ones and the keys included', () => {
    for (const route of PublicRoutes) expect(limitsRoute(route.path), route.path).toBe(true);
    expect(limitsRoute('/api/v1/events')).toBe(true);
    expect(limitsRoute('/api/v1/openapi.json')).toBe(true);
    expect(limitsRoute('/.well-known/jwks.json')).toBe(true);
  });

  it('limits the API catch-all, so answers under it of any status (a 404 too) are counted', () => {
    expect(limitsRoute('/api/v1/*')).toBe(true);
    expect(limitsRoute('/api/v1/files/:id')).toBe(true);
    expect(limitsRoute('/api/v1/files/:id/versions/:version/content')).toBe(true);
    // below a row: the row covers it
    expect(limitsRoute('/api/v1/me/*')).toBe(true);
  });

  it('leaves out what the table does not name: the UI, the docs, probes, metrics, the Dapr channel', () => {
    for (const pattern of ['/', '/*', '/:page', '/api/docs', '/api/docs/init.js', '/api/v2/*', '/api', '/health/ready', '/health/upstreams', '/metrics', '/dapr/subscribe', '/.well-known/openid-configuration']) {
      expect(limitsRoute(pattern), pattern).toBe(false);
    }
  });
});
