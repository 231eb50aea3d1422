import { DaprClient, DaprError } from '@strata/dapr';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencyFailureOf } from '../src/dependencies.js';
import { httpError, registerProblemHandlers } from '../src/errors.js';

/** A port on 127.0.0.1 that nothing listens on: what a dependency that is down looks like. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const pgError = (code: string, message: string) => Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code });
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('dependency failures', () => {
  it('name Postgres for its connection-class SQLSTATEs and messages', () => {
    expect(dependencyFailureOf(pgError('57P01', 'terminating connection due to administrator command'))).toEqual({
      dependency: 'postgres',
      reason: '57P01: terminating connection due to administrator command',
    });
    expect(dependencyFailureOf(new Error('Connection terminated unexpectedly'))?.dependency).toBe('postgres');
    expect(dependencyFailureOf(new Error('timeout exceeded when trying to connect'))?.dependency).toBe('postgres');
    expect(dependencyFailureOf(pgError('57P03', 'the database system is starting up'))?.dependency).toBe('postgres');
  });

  it('are what pg, ioredis and fetch really throw for a server that is not there', async () => {
    const port = await closedPort();
    const pgRefused = await caught(new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'x' }).connect());
    expect(dependencyFailureOf(pgRefused)).toMatchObject({ reason: 'ECONNREFUSED' });

    // the apps' Redis clients fail fast (no offline queue) while Redis is away
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const redisDown = await caught(redis.get('k'));
    redis.disconnect();
    expect(dependencyFailureOf(redisDown)).toMatchObject({ dependency: 'redis' });

    const sidecarDown = await caught(new DaprClient({ httpPort: port }).getState('statestore', 'k'));
    expect(dependencyFailureOf(sidecarDown)).toMatchObject({ dependency: 'sidecar' });
  });

  it('name the sidecar for its own 5xx, Blob Storage for its RestErrors, Redis for a cluster or server not serving', () => {
    expect(dependencyFailureOf(new DaprError('get state failed with 500: connection refused', 500, 'ERR_STATE_GET', ''))?.dependency).toBe('sidecar');
    expect(dependencyFailureOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10000'), { name: 'RestError', code: 'ECONNREFUSED' }))?.dependency).toBe('blob-storage');
    expect(dependencyFailureOf(Object.assign(new Error('The server is busy.'), { name: 'RestError', code: 'ServerBusy', statusCode: 503 }))?.dependency).toBe('blob-storage');
    expect(dependencyFailureOf(Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }))?.dependency).toBe('redis');
    expect(dependencyFailureOf(new Error('CLUSTERDOWN The cluster is down'))?.dependency).toBe('redis');
    expect(dependencyFailureOf(new Error('LOADING Redis is loading the dataset in memory'))?.dependency).toBe('redis');
  });

  it('are not a bug, a refusal or a conflict', () => {
    expect(dependencyFailureOf(new Error('boom'))).toBeUndefined();
    expect(dependencyFailureOf(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(dependencyFailureOf(pgError('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
    expect(dependencyFailureOf(new DaprError('invoke failed with 404', 404, 'ERR_DIRECT_INVOKE', ''))).toBeUndefined();
    expect(dependencyFailureOf(Object.assign(new Error('The specified blob does not exist.'), { name: 'RestError', code: 'BlobNotFound', statusCode: 404 }))).toBeUndefined();
    expect(dependencyFailureOf(httpError(409, 'conflict'))).toBeUndefined();
  });
});

describe('the problem handler', () => {
  const app = Fastify({ logger: false });
  registerProblemHandlers(app);
  app.get('/terminated', async () => {
    throw pgError('57P01', 'terminating connection due to administrator command');
  });
  app.get('/redis', async () => {
    throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
  });
  app.get('/own-503', async (_request, reply) => {
    reply.header('retry-after', '7');
    throw httpError(503, 'warming up');
  });
  app.get('/bug', async () => {
    throw new Error('a bug at postgres://secret@db');
  });
  afterAll(() => app.close());

  it('answers a lost dependency 503 with Retry-After and problem+json, never a 500, and without internals', async () => {
    for (const url of ['/terminated', '/redis']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ type: 'https://strata.dev/problems/unavailable', status: 503, instance: url });
      expect(res.body).not.toMatch(/terminating|enableOfflineQueue/);
    }
  });

  it("keeps a route's own 503 and Retry-After, and a bug is still a 500", async () => {
    const own = await app.inject({ method: 'GET', url: '/own-503' });
    expect(own.statusCode).toBe(503);
    expect(own.headers['retry-after']).toBe('7');
    const bug = await app.inject({ method: 'GET', url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('secret');
  });
});
