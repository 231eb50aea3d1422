/**
 * The limiter on a Redis Cluster (three masters over TLS, as Azure Cache for Redis with clustering):
 * every decision is one script over keys of one hash slot, so it is as exact as on one server,
 * multi-limit policies do not meet CROSSSLOT, and the counters of different clients spread over
 * the masters.
 */
import { RateLimitRouteClasses as RouteClasses } from '@strata/contracts';
import { createRedisClient } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../src/domain/decide.js';
import { GATEWAY, decide, stack, startInstance, uniqueId } from './support.js';

const onCluster = { REDIS_URL: stack.redisCluster.url, REDIS_MODE: 'cluster' };
let instances: FastifyInstance[];
let cluster: Cluster;

beforeAll(async () => {
  // two replicas of the service, one cluster: the counts are shared
  instances = await Promise.all([startInstance(undefined, onCluster), startInstance(undefined, onCluster)]);
  cluster = createRedisClient(stack.redisCluster.url, 'cluster') as Cluster;
  await cluster.connect();
});
afterAll(async () => {
  cluster?.disconnect();
  await Promise.all((instances ?? []).map((i) => i.close()));
});

const allowed = (decisions: Decision[]) => decisions.filter((d) => d.allowed).length;
/** The master that holds a key (the slot's owner). */
async function masterOf(key: string): Promise<string> {
  const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
  const shards = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const owner = shards.find(([from, to]) => slot >= from && slot <= to);
  return `${owner![2][0]}:${owner![2][1]}`;
}

describe('rate limits on a Redis Cluster', () => {
  it('allows exactly 100 of 300 concurrent decisions for one user over two replicas', async () => {
    const id = uniqueId('cluster-user');
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, i) => decide(instances[i % 2]!, { routeClass: 'api', subject: { kind: 'user', id } })),
    );
    expect(allowed(decisions)).toBe(100);
  });

  it('decides sign-in by address and account in one script (no CROSSSLOT, no 503), exactly: 5 per account', async () => {
    const id = uniqueId('cluster-login');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        instances[i % 2]!.inject({
          method: 'POST',
          url: '/v1/decide',
          headers: GATEWAY,
          payload: { routeClass: RouteClasses.login, subject: { kind: 'anonymous', id: `${id}-addr`, account: `${id}@example.test` } },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    const decisions = answers.map((a) => a.json<Decision>());
    expect(allowed(decisions)).toBe(5);
    // the refused ones were refused by the account's limit, and the address paid for the 5 only
    expect(await cluster.zcard(`strata:ratelimit:{auth-login}:auth-login-address:${id}-addr`)).toBe(5);
    expect(await cluster.zcard(`strata:ratelimit:{auth-login}:auth-login-account:${id}@example.test`)).toBe(5);
  });

  it("keeps a partner's two windows exact together: at most 300 in 10 s of the pro plan", async () => {
    const id = uniqueId('cluster-partner');
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => decide(instances[i % 2]!, { routeClass: 'api', subject: { kind: 'partner', id, plan: 'pro' }, cost: 10 })),
    );
    expect(allowed(decisions)).toBe(30);
    expect(await cluster.zcard(`strata:ratelimit:partner-pro:{partner:${id}}`)).toBe(300);
    expect(await cluster.zcard(`strata:ratelimit:partner-pro-burst:{partner:${id}}`)).toBe(300);
  });

  it('spreads the counters of different clients over the masters', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => uniqueId(`spread-${i}`));
    await Promise.all(ids.map((id) => decide(instances[0]!, { routeClass: 'api', subject: { kind: 'user', id } })));
    const masters = new Set(await Promise.all(ids.map((id) => masterOf(`strata:ratelimit:default:{user:${id}}`))));
    expect(masters.size).toBe(3);
    for (const id of ids) expect(await cluster.zcard(`strata:ratelimit:default:{user:${id}}`)).toBe(1);
  });
});
