import type {} from '@strata/testing';
import { Client } from '@strata/testing/client';
import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const { gatewayUrl } = stack;

describe('edge hygiene', () => {
  it('puts an X-Request-Id on every answer, keeping a sane one the client sent', async () => {
    for (const path of ['/', '/health/live', '/api/v1/nowhere', '/api/v1/me', '/.well-known/jwks.json']) {
      const res = await fetch(`${gatewayUrl}${path}`);
      expect(res.headers.get('x-request-id'), path).toMatch(/^[\w.:-]{8,128}$/);
    }
    const mine = await fetch(`${gatewayUrl}/api/v1/me`, { headers: { 'x-request-id': 'client-req-12345' } });
    expect(mine.headers.get('x-request-id')).toBe('client-req-12345');
    const hostile = await fetch(`${gatewayUrl}/api/v1/me`, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(hostile.headers.get('x-request-id')).not.toContain('script');
  });

  it('answers with a trace of its own, not a client’s (only a trusted proxy’s trace is continued)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${gatewayUrl}/.well-known/jwks.json`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(res.headers.get('traceparent')).not.toContain(traceId);
  });

  it('sends security headers and a deny-all CSP on API answers', async () => {
    const res = await fetch(`${gatewayUrl}/api/v1/me`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('admits no foreign origin by default', async () => {
    const preflight = await fetch(`${gatewayUrl}/api/v1/me`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${gatewayUrl}/api/v1/me`, { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers problem+json for 404 and 405, with Allow', async () => {
    const missing = await fetch(`${gatewayUrl}/api/v1/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const wrongMethod = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(wrongMethod.headers.get('content-type')).toContain('application/problem+json');
  });

  it('passes on headers it takes itself: its sidecar reads more than Dapr’s 4 KiB (the fuzz found a plain-text 431)', async () => {
    const user = await Client.user(stack);
    for (const size of [4_500, 8_500, 12_000]) {
      const res = await user.call('GET', '/api/v1/me', undefined, { 'x-padding': 'p'.repeat(size) });
      expect(res.status, String(size)).toBe(200);
      expect(res.json).toMatchObject({ id: user.userId });
    }
  });
});
