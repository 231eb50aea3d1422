import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, duplicateRedis } from '../src/resources/redis.js';

describe('the Redis client factory', () => {
  it('makes a single-node client that fails fast, from the URL alone', () => {
    const client = createRedisClient('redis://127.0.0.1:6379/3', 'standalone');
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({ host: '127.0.0.1', port: 6379, db: 3, enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.disconnect();
  });

  it('makes a cluster client from one node of the URL, with its password and TLS to every node', () => {
    const client = createRedisClient('rediss://:s%40cret@strata.redis.cache.windows.net:6380/0', 'cluster') as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect(client.options.redisOptions).toMatchObject({ password: 's@cret', tls: { servername: 'strata.redis.cache.windows.net' }, maxRetriesPerRequest: 1 });
    expect(client.options.enableOfflineQueue).toBe(false);
    // an IP address is no server name (SNI): the certificate is checked against the address
    const local = createRedisClient('rediss://:pw@127.0.0.1:6380', 'cluster') as Cluster;
    expect(local.options.redisOptions?.tls).toEqual({});
    client.disconnect();
    local.disconnect();
  });

  it('refuses a cluster URL that names a database other than 0, and a URL of another scheme', () => {
    expect(() => createRedisClient('rediss://:pw@127.0.0.1:6380/2', 'cluster')).toThrow(/only database 0/);
    expect(() => createRedisClient('http://127.0.0.1:6379', 'standalone')).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  it('duplicates either kind as a subscriber that may queue until connected', () => {
    const single = duplicateRedis(createRedisClient('redis://127.0.0.1:6379/0', 'standalone'));
    expect(single).toBeInstanceOf(Redis);
    expect((single as Redis).options.enableOfflineQueue).toBe(true);
    const cluster = duplicateRedis(createRedisClient('rediss://:pw@127.0.0.1:6380/0', 'cluster'));
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options).toMatchObject({ enableOfflineQueue: true, lazyConnect: true });
    expect((cluster as Cluster).options.redisOptions).toMatchObject({ password: 'pw' });
    single.disconnect();
    cluster.disconnect();
  });
});
