import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { eventually } from '@strata/testing/client';
import { describe, expect, inject, it } from 'vitest';

const { gatewayUrl } = inject('stack');

async function signedIn(email = `cache-${randomUUID()}@example.test`, password = 'cache test password') {
  await fetch(`${gatewayUrl}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password, displayName: email.slice(0, 12) }) });
  const res = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const token = ((await res.json()) as { accessToken: string }).accessToken;
  return { email, password, get: (path: string, headers: Record<string, string> = {}) => fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } }), token };
}

describe('response caching', () => {
  it('answers a repeated GET from the cache, 304 when the client holds it, never stale after the user’s own write', async () => {
    const alice = await signedIn();
    const other = await signedIn(alice.email, alice.password);

    const first = await alice.get('/api/v1/sessions');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toContain('private');
    const list = (await first.json()) as { items: { id: string; current: boolean }[] };
    expect(list.items).toHaveLength(2);

    // the sign-ins' events reach the gateway a few milliseconds later and (rightly) invalidate what
    // was cached for the user, so the first repeat may miss too: wait for a read from the cache
    const second = await eventually('a read answered from the cache', async () => {
      const res = await alice.get('/api/v1/sessions');
      return res.headers.get('x-cache') === 'hit' ? res : undefined;
    });
    expect(second.headers.get('etag')).toBe(etag);

    const revalidated = await alice.get('/api/v1/sessions', { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);

    // the user's own write through the gateway: the next read is fresh at once
    const otherSession = list.items.find((s) => !s.current)!;
    const del = await fetch(`${gatewayUrl}/api/v1/sessions/${otherSession.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.token}` } });
    expect(del.status).toBe(204);
    const after = await alice.get('/api/v1/sessions', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await other.get('/api/v1/me')).status).toBe(401);
  });

  it('keeps /sessions per session: two sessions of one user each see their own as current', async () => {
    const first = await signedIn();
    const second = await signedIn(first.email, first.password);
    const currentOf = async (who: typeof first) => {
      const res = await who.get('/api/v1/sessions');
      expect(res.status).toBe(200);
      return { cache: res.headers.get('x-cache'), current: ((await res.json()) as { items: { id: string; current: boolean }[] }).items.filter((s) => s.current).map((s) => s.id) };
    };
    const a1 = await currentOf(first);
    // once the first session's answer is served from the cache...
    await eventually('a read of the first session from the cache', async () => ((await currentOf(first)).cache === 'hit' ? true : undefined));
    // ...the second session still gets its own, and so it does from the cache
    const b1 = await currentOf(second);
    expect(a1.current).toHaveLength(1);
    expect(b1.current).toHaveLength(1);
    expect(b1.current).not.toEqual(a1.current);
    const b2 = await eventually('a read of the second session from the cache', async () => {
      const answer = await currentOf(second);
      return answer.cache === 'hit' ? answer : undefined;
    });
    expect(b2.current).toEqual(b1.current);
    expect((await currentOf(first)).current).toEqual(a1.current);
  });

  it('never answers one user with another user’s cached data', async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const aliceMe = await alice.get('/api/v1/me');
    expect(((await aliceMe.json()) as { email: string }).email).toBe(alice.email);
    const etag = aliceMe.headers.get('etag')!;
    const bobMe = await bob.get('/api/v1/me', { 'if-none-match': etag });
    expect(bobMe.status).toBe(200);
    expect(((await bobMe.json()) as { email: string }).email).toBe(bob.email);
  });
});
