import { type ChildProcess, spawn } from 'node:child_process';
import { buildServer } from '@strata/service-kit';
import { freePort } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import app from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

// The machine's Redis is shared, so this test stops and restarts a Redis of its own (a real
// redis-server process it started) to see readiness fall and recover without a restart.
const stack = inject('stack');

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 300));
  return child;
}

async function readiness(server: FastifyInstance) {
  const res = await server.internalListener.inject({ method: 'GET', url: '/health/ready' });
  return { status: res.statusCode, body: res.json() as { checks: Record<string, { ok: boolean; reason?: string }> } };
}

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('readiness follows Redis', () => {
  let port: number;
  let redis: ChildProcess;
  let server: FastifyInstance;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const config = loadServiceConfig({
      PORT: '0',
      APP_ID: 'ratelimit',
      DAPR_HTTP_PORT: String(stack.apps.ratelimit!.daprHttpPort),
      REDIS_URL: `redis://127.0.0.1:${port}`,
      HEARTBEAT_INTERVAL_MS: '600000',
      LOG_LEVEL: 'silent',
    });
    server = await buildServer({ config, app });
    await server.ready();
  });

  afterAll(async () => {
    await server?.close();
    redis?.kill('SIGKILL');
  });

  it('is ready with Redis, says 503 with a reason without it, and recovers by itself', async () => {
    await until(async () => (await readiness(server)).status === 200, 5_000);

    redis.kill('SIGKILL');
    await until(async () => (await readiness(server)).status === 503, 5_000);
    const down = await readiness(server);
    expect(down.body.checks.redis).toMatchObject({ ok: false });
    expect(down.body.checks.redis?.reason).toContain(`127.0.0.1:${port}`);
    expect(down.body.checks.sidecar).toMatchObject({ ok: true });

    redis = await startRedis(port);
    await until(async () => (await readiness(server)).status === 200, 10_000);
    expect((await readiness(server)).body.checks.redis).toMatchObject({ ok: true });
  });
});
