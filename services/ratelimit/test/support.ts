import { randomUUID } from 'node:crypto';
import { buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type {} from '@strata/testing';
import { inject } from 'vitest';
import app from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';
import type { Decision } from '../src/domain/decide.js';
import type { DecideBody } from '../src/schemas/decide.js';

export const stack = inject('stack');

/** A subject id no other test (or earlier run) uses. */
export function uniqueId(label: string): string {
  return `${label}-${randomUUID()}`;
}

/**
 * A clock that stands still unless the test moves it: decisions then depend on what the test
 * did, not on how fast the machine ran it. Starts at the wall clock so key expiries stay sane.
 */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** An instance of the service on the test stack's Redis, as server.ts would build it. */
export async function startInstance(clock?: () => number, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadServiceConfig({
    PORT: '0',
    APP_ID: 'ratelimit',
    DAPR_HTTP_PORT: String(stack.apps.ratelimit!.daprHttpPort),
    REDIS_URL: stack.redisUrl,
    HEARTBEAT_INTERVAL_MS: '600000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await buildServer({ config, app: (instance, opts) => app(instance, { ...opts, clock }) });
  await server.ready();
  return server;
}

export const GATEWAY = { 'dapr-caller-app-id': 'gateway' };

export async function decide(server: FastifyInstance, body: DecideBody): Promise<Decision> {
  const res = await server.inject({ method: 'POST', url: '/v1/decide', headers: GATEWAY, payload: body });
  if (res.statusCode !== 200) throw new Error(`decide answered ${res.statusCode}: ${res.body}`);
  return res.json<Decision>();
}

export function redisClient(): Redis {
  return new Redis(stack.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every key of this service that mentions `id`, with its remaining time to live in ms. */
export async function keysWithTtl(redis: Redis, id: string): Promise<Map<string, number>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `strata:ratelimit:*${id}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
  return new Map(keys.map((k, i) => [k, ttls[i]!]));
}

/** The Redis server's clock in ms, the one the script uses when no clock is given. */
export async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export const count = (decisions: readonly Decision[], allowed: boolean) => decisions.filter((d) => d.allowed === allowed).length;
