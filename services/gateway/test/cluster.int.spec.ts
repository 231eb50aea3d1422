/**
 * The gateway's Redis code on a Redis Cluster (three masters over TLS with a password, as Azure
 * Cache for Redis with clustering): revocations, the response cache and the live events' replay,
 * run by gateway replicas whose client is in cluster mode. A MULTI, MGET or script over keys of
 * several slots would fail here with CROSSSLOT; a single-node client would be sent away (MOVED).
 */
import type {} from '@strata/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { RevocationList } from '@strata/auth';
import { type RedisClient, createRedisClient } from '@strata/service-kit';
import { type SseEvent, eventually, openEventStream } from '@strata/testing/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway } from './support.js';

const { gatewayUrl, redisCluster } = inject('stack');
const APP_TOKEN = randomBytes(24).toString('hex');
const onCluster = { REDIS_URL: redisCluster.url, REDIS_MODE: 'cluster', RATE_LIMIT_ENABLED: 'false', APP_API_TOKEN: APP_TOKEN };
const closers: (() => Promise<void> | void)[] = [];
let gateway: FastifyInstance & { url: string };

beforeAll(async () => {
  gateway = await startGateway(onCluster, { listen: true });
  closers.push(() => gateway.close());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function signedIn(email = `cluster-${randomUUID()}@example.test`, password = 'cluster test password') {
  const reg = await fetch(`${gatewayUrl}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const id = reg.status === 201 ? ((await reg.json()) as { id: string }).id : undefined;
  const res = await fetch(`${gatewayUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${body.accessToken}` };
  return {
    id,
    email,
    password,
    token: body.accessToken,
    /** Through the cluster gateway. */
    get: (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers: { ...auth, ...headers } }),
    send: (method: string, path: string) => fetch(`${gateway.url}${path}`, { method, headers: auth }),
  };
}

describe('revocations on a Redis Cluster', () => {
  const replica = async () => {
    const redis: RedisClient = createRedisClient(redisCluster.url, 'cluster');
    redis.on('error', () => undefined);
    await redis.connect();
    const list = new RevocationList(redis);
    await list.start();
    closers.push(async () => {
      await list.stop();
      redis.disconnect();
    });
    return list;
  };

  it('reach every replica at once, and a replica started later', async () => {
    const replicas = await Promise.all([replica(), replica(), replica()]);
    const sessions = Array.from({ length: 12 }, () => randomUUID());
    const until = Date.now() + 15 * 60_000;
    await Promise.all(sessions.map((sid, i) => replicas[i % 3]!.revoke(sid, until)));
    for (const list of replicas) {
      await eventually('every revocation on every replica', async () => (sessions.every((sid) => list.isRevoked(sid)) ? true : undefined), 2_000);
    }
    const later = await replica();
    for (const sid of sessions) expect(later.isRevoked(sid)).toBe(true);
    expect(later.isRevoked(randomUUID())).toBe(false);
  });

  it('refuse a revoked session at the cluster gateway', async () => {
    const alice = await signedIn();
    expect((await alice.get('/api/v1/me')).status).toBe(200);
    const { sid, exp } = JSON.parse(Buffer.from(alice.token.split('.')[1]!, 'base64url').toString()) as { sid: string; exp: number };
    // revoked by another replica (sessions, on AKS): the gateway hears of it over the cluster
    await (await replica()).revoke(sid, exp * 1000);
    await eventually('the revoked session refused', async () => ((await alice.get('/api/v1/me')).status === 401 ? true : undefined), 2_000);
  });
});

describe('the response cache on a Redis Cluster', () => {
  it('answers a repeated GET from the cache, 304 for the ETag, fresh after the user’s own write, never across users', async () => {
    const alice = await signedIn();
    const other = await signedIn(alice.email, alice.password);
    const bob = await signedIn();
    const first = await alice.get('/api/v1/sessions');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const etag = first.headers.get('etag')!;
    const list = (await first.json()) as { items: { id: string; current: boolean }[] };
    expect(list.items).toHaveLength(2);
    const second = await alice.get('/api/v1/sessions');
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(etag);
    expect((await alice.get('/api/v1/sessions', { 'if-none-match': etag })).status).toBe(304);

    const bobs = await bob.get('/api/v1/sessions');
    expect(bobs.headers.get('x-cache')).toBe('miss');
    expect(((await bobs.json()) as { items: unknown[] }).items).toHaveLength(1);

    const otherSession = list.items.find((s) => !s.current)!;
    expect((await alice.send('DELETE', `/api/v1/sessions/${otherSession.id}`)).status).toBe(204);
    const after = await alice.get('/api/v1/sessions', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await other.get('/api/v1/me')).status).toBe(401);
  });
});

describe('live events on a Redis Cluster', () => {
  /** What Dapr delivers to the gateway for a sessions.events event (the stack's own sidecar delivers to the stack's gateway). */
  const deliver = (userId: string, id = randomUUID()) =>
    gateway.internalListener.inject({
      method: 'POST',
      url: '/dapr/events/live/sessions.events',
      headers: { 'content-type': 'application/cloudevents+json', 'dapr-api-token': APP_TOKEN },
      payload: JSON.stringify({
        specversion: '1.0',
        id,
        source: 'strata/sessions',
        type: 'SessionStarted',
        datacontenttype: 'application/json',
        topic: 'sessions.events',
        pubsubname: 'pubsub',
        data: { sessionId: randomUUID(), userId, startedAt: new Date().toISOString(), idleTimeoutSeconds: 1800, absoluteLifetimeSeconds: 43_200 },
      }),
    });

  /** The events a stream sends within `ms`. */
  async function read(token: string, lastEventId: string | undefined, ms: number) {
    const stream = await openEventStream(gateway.url, token, lastEventId);
    expect(stream.res.status).toBe(200);
    await new Promise((r) => setTimeout(r, ms));
    await stream.close();
    return stream.events.filter((e) => e.id !== undefined) as (SseEvent & { id: string })[];
  }

  it('appends each event once to the owner’s stream and replays what a client missed after Last-Event-ID', async () => {
    const alice = await signedIn();
    const firstId = randomUUID();
    expect((await deliver(alice.id!, firstId)).statusCode).toBe(200);
    // at-least-once delivery: the same event again is not appended twice
    expect((await deliver(alice.id!, firstId)).statusCode).toBe(200);
    const seen = await read(alice.token, '0-0', 500);
    const mine = seen.filter((e) => e.data.includes(firstId));
    expect(mine).toHaveLength(1);

    const missed = [randomUUID(), randomUUID()];
    for (const id of missed) expect((await deliver(alice.id!, id)).statusCode).toBe(200);
    const resumed = await read(alice.token, mine[0]!.id, 500);
    expect(resumed.map((e) => (JSON.parse(e.data) as { id: string }).id)).toEqual(missed);
  });
});
