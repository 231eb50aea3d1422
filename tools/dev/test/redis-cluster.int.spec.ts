/**
 * The production-like Redis stand-in behaves as Azure Cache for Redis Premium with clustering
 * where the services will notice: keys spread over the masters, multi-key commands need hash tags,
 * only TLS with the access key gets in, and a client that is not cluster-aware is sent elsewhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../src/infra/redis-cluster.js';
import { type InfraFixture, freePorts, infraFixture } from './infra-fixture.js';

let fx: InfraFixture;
let cluster: RedisCluster;
let ports: number[];
const password = 'the-access-key';
const clients: { disconnect(): void }[] = [];

function tracked<T extends { disconnect(): void; on(event: 'error', f: () => void): unknown }>(client: T): T {
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  fx = infraFixture('redis-cluster');
  ports = await freePorts(6);
  cluster = await startRedisCluster(fx.ctx, {
    nodes: [0, 1, 2].map((i) => ({ port: ports[i]!, busPort: ports[i + 3]! })),
    password,
    tls: { ...fx.tls.loopback, ca: fx.tls.ca.cert },
    dir: join(fx.dir, 'redis'),
  });
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
  fx?.cleanup();
});

const ca = () => readFileSync(fx.tls.ca.cert);
const clusterClient = (pw = password) =>
  tracked(new Cluster([{ host: '127.0.0.1', port: ports[0]! }], { redisOptions: { password: pw, tls: { ca: ca() } }, clusterRetryStrategy: () => null }));
const single = (options: RedisOptions) =>
  tracked(new Redis({ host: '127.0.0.1', port: ports[0]!, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, ...options }));

describe('a Redis Cluster of three masters over TLS', () => {
  it('spreads keys over all three masters, as a cluster-aware client writes them', async () => {
    const client = clusterClient();
    for (let i = 0; i < 60; i++) await client.set(`strata:test:${i}`, String(i));
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const sizes = await Promise.all(masters.map((m) => m.dbsize()));
    for (const size of sizes) expect(size).toBeGreaterThan(0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(await client.get('strata:test:42')).toBe('42');
  });

  it('refuses a multi-key command over several slots (CROSSSLOT), and runs it when hash tags keep the keys together', async () => {
    const client = clusterClient();
    await expect(client.call('MGET', 'strata:a', 'strata:b')).rejects.toThrow(/CROSSSLOT/);
    await client.set('{user:1}:limit', '3');
    await client.set('{user:1}:used', '1');
    expect(await client.mget('{user:1}:limit', '{user:1}:used')).toEqual(['3', '1']);
  });

  it('sends a client that is not cluster-aware elsewhere (MOVED) for the keys another master holds', async () => {
    // what the services' single-node ioredis clients do today, given the redis-url secret
    const client = single({ password, tls: { ca: ca() } });
    await client.connect();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.set(`strata:moved:${i}`, 'x')));
    const moved = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
    expect(moved.length).toBeGreaterThan(0);
    for (const reason of moved) expect(reason).toMatch(/^ReplyError: MOVED \d+ 127\.0\.0\.1:\d+$/);
  });

  it('refuses a connection without TLS', async () => {
    const client = single({ password });
    await expect(client.connect().then(() => client.ping())).rejects.toThrow();
  });

  it('refuses commands without the access key, and with a wrong one', async () => {
    const anonymous = single({ tls: { ca: ca() } });
    await anonymous.connect();
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.call('AUTH', 'not-the-key')).rejects.toThrow(/WRONGPASS/);
    expect(await anonymous.call('AUTH', password)).toBe('OK');
  });

  it('is gone once stopped: every node exits', async () => {
    const stopped = await startRedisCluster(fx.ctx, {
      nodes: (await freePorts(6)).reduce<{ port: number; busPort: number }[]>((nodes, port, i, all) => (i < 3 ? [...nodes, { port, busPort: all[i + 3]! }] : nodes), []),
      password,
      tls: { ...fx.tls.loopback, ca: fx.tls.ca.cert },
      dir: join(fx.dir, 'redis-stopped'),
    });
    await stopped.stop();
    for (const p of stopped.processes) expect(p.child.exitCode ?? p.child.signalCode).not.toBeNull();
  });
});
