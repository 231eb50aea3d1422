import type {} from '@strata/testing';
import { buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import app from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';

/**
 * A gateway replica in this process, on the test stack's gateway sidecar (so the ratelimit,
 * sessions and files apps it reaches are the stack's own, and so is Redis), with rate limits on
 * unless `env` says otherwise. `listen` puts it on a port of its own for real HTTP clients.
 */
export async function startGateway(env: Record<string, string> = {}, options: { listen?: boolean } = {}): Promise<FastifyInstance & { url: string }> {
  const stack = inject('stack');
  const config = loadGatewayConfig({
    PORT: '0',
    APP_ID: 'gateway',
    DAPR_HTTP_PORT: String(stack.apps.gateway!.daprHttpPort),
    REDIS_URL: stack.redisUrl,
    HEARTBEAT_INTERVAL_MS: '600000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await buildServer({ config, app });
  let url = '';
  if (options.listen) {
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await server.ready();
  }
  return Object.assign(server, { url });
}
