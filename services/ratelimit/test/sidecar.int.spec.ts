import { describe, expect, it } from 'vitest';
import type { Decision } from '../src/domain/decide.js';
import { stack, uniqueId } from './support.js';

// The ratelimit app the test stack runs (with its own sidecar), called the way the gateway will
// call it: through the caller's own sidecar, by Dapr service invocation.
function invokeFrom(appId: string, method: string, init: RequestInit = {}) {
  const port = stack.apps[appId]!.daprHttpPort;
  return fetch(`http://127.0.0.1:${port}/v1.0/invoke/ratelimit/method/${method}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    signal: AbortSignal.timeout(10_000),
  });
}

const decideFrom = (appId: string, body: unknown, headers: Record<string, string> = {}) =>
  invokeFrom(appId, 'v1/decide', { method: 'POST', body: JSON.stringify(body), headers });

describe('decisions through the Dapr sidecar', () => {

  it('answers the gateway, with the RateLimit fields', async () => {
    const id = uniqueId('via-dapr');
    const res = await decideFrom('gateway', { routeClass: 'api', subject: { kind: 'user', id } });
    expect(res.status).toBe(200);
    const decision = (await res.json()) as Decision;
    expect(decision).toMatchObject({ allowed: true, policy: 'default', limit: 100, remaining: 99, retryAfterMs: 0 });
    expect(decision.headers).toEqual({ 'RateLimit-Policy': '"default";q=100;w=60', RateLimit: '"default";r=99;t=60' });

    const policies = await invokeFrom('gateway', 'v1/policies');
    expect(policies.status).toBe(200);
    expect(((await policies.json()) as { policies: { name: string }[] }).policies.map((p) => p.name)).toContain('default');
  });

  it('limits through the sidecar as well: registration allows 5 a minute per address', async () => {
    const address = uniqueId('addr');
    const results: Decision[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await decideFrom('gateway', { routeClass: 'auth.register', subject: { kind: 'anonymous', id: address } });
      expect(res.status).toBe(200);
      results.push((await res.json()) as Decision);
    }
    // the stack's app uses the Redis clock; a window is a minute, so no slot frees meanwhile
    expect(results.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    for (const d of results.filter((r) => !r.allowed)) {
      expect(d.retryAfterMs).toBeGreaterThan(0);
      expect(d.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
    }
  });

  it('refuses other apps with 403 problem+json, even when they claim to be the gateway', async () => {
    const body = { routeClass: 'api', subject: { kind: 'user', id: uniqueId('intruder') } };
    const res = await decideFrom('files', body);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 403, detail: 'App "files" may not ask for rate-limit decisions.' });

    const spoofed = await decideFrom('files', body, { 'dapr-caller-app-id': 'gateway' });
    expect(spoofed.status).toBe(403);

    expect((await invokeFrom('sessions', 'v1/policies')).status).toBe(403);
  });
});
