import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { openEventStream } from '@strata/testing/client';
import { startGateway } from './support.js';

const { gatewayUrl } = inject('stack');

/** The live stream of GET /api/v1/events at this gateway (the stack's by default). */
const openStream = (token: string, lastEventId?: string, base = gatewayUrl) => openEventStream(base, token, lastEventId);

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function user() {
  const email = `sse-${randomUUID()}@example.test`;
  const password = 'live events password';
  const reg = await fetch(`${gatewayUrl}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(reg.status).toBe(201);
  const login = async () => {
    const res = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  return { id: ((await reg.json()) as { id: string }).id, login };
}

describe('live events (SSE)', () => {
  it('streams the caller’s own events within 1 s, never another user’s, resumes with Last-Event-ID, and ends when the session is revoked', async () => {
    const alice = await user();
    const bob = await user();
    const aliceToken = await alice.login();
    const bobToken = await bob.login();
    const stream = await openStream(aliceToken);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
    const bobStream = await openStream(bobToken);

    // Alice signs in on another device: her stream hears of it
    const started = Date.now();
    const secondToken = await alice.login();
    const seen = await until('SessionStarted on Alice’s stream', () => stream.events.find((e) => e.event === 'SessionStarted'), 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(JSON.parse(seen.data)).toMatchObject({ type: 'SessionStarted', data: { userId: alice.id } });
    expect(seen.data).not.toContain('refreshTokenHash');

    // Bob's stream sees only Bob
    expect(bobStream.events.filter((e) => e.data.includes(alice.id))).toEqual([]);

    // events while disconnected arrive on reconnect with Last-Event-ID
    await stream.close();
    const lastId = seen.id!;
    await alice.login();
    await alice.login();
    const resumed = await openStream(secondToken, lastId);
    await until('the two missed sign-ins', () => (resumed.events.filter((e) => e.event === 'SessionStarted').length >= 2 ? true : undefined), 5_000);
    expect(resumed.events.every((e) => e.id !== lastId)).toBe(true);

    // signing out the session of the stream's token ends the stream
    const out = await fetch(`${gatewayUrl}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${secondToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(out.status).toBe(204);
    await until('the end of the stream', () => (resumed.ended() ? true : undefined), 5_000);
    expect(resumed.events.at(-1)?.event).toBe('session-ended');

    await bobStream.close();
  });

  it('holds at most 10 streams per user over every replica: opening one more closes the oldest', async () => {
    const alice = await user();
    const token = await alice.login();
    const replica = await startGateway({ RATE_LIMIT_ENABLED: 'false' }, { listen: true });
    try {
      const streams: Awaited<ReturnType<typeof openStream>>[] = [];
      for (let i = 0; i < 10; i++) streams.push(await openStream(token));
      // the eleventh, on another replica
      const eleventh = await openStream(token, undefined, replica.url);
      expect(eleventh.res.status).toBe(200);
      await until('the oldest stream to close', () => (streams[0]!.ended() ? true : undefined), 5_000);
      expect(streams[0]!.events.at(-1)?.event).toBe('too-many-streams');
      // the others stay open, and a closed stream frees its place
      expect(streams.slice(1).every((s) => !s.ended())).toBe(true);
      await streams[1]!.close();
      const again = await openStream(token);
      await new Promise((r) => setTimeout(r, 300));
      expect(streams.slice(2).every((s) => !s.ended())).toBe(true);
      expect(eleventh.ended()).toBe(false);
      for (const s of [...streams.slice(2), eleventh, again]) await s.close();
    } finally {
      await replica.close();
    }
  });

  it('refuses a stream without a token or with a malformed Last-Event-ID', async () => {
    expect((await fetch(`${gatewayUrl}/api/v1/events`)).status).toBe(401);
    const alice = await user();
    const token = await alice.login();
    const res = await fetch(`${gatewayUrl}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': 'nonsense' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
