import type { TestStackInfo } from '@strata/testing';
import { buildServer } from '@strata/service-kit';
import { listenInstance } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import app from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import { traceparentTrust } from '../src/plugins/client.js';

/**
 * A gateway replica in this process, on the test stack's gateway sidecar (so the ratelimit,
 * sessions and files apps it reaches are the stack's own, and so is Redis), with rate limits on
 * unless `env` says otherwise. `listen` puts it on ports of its own for real HTTP clients.
 * Free of vitest, for tools that run outside it (the fuzz's CLI); tests use support.ts.
 */
export async function gatewayReplica(stack: TestStackInfo, env: Record<string, string> = {}, options: { listen?: boolean } = {}): Promise<FastifyInstance & { url: string }> {
  const config = loadGatewayConfig({
    PORT: '0',
    APP_ID: 'gateway',
    DAPR_HTTP_PORT: String(stack.apps.gateway!.daprHttpPort),
    REDIS_URL: stack.redisUrl,
    HEARTBEAT_INTERVAL_MS: '600000',
    LOG_LEVEL: 'silent',
    // on a loaded 2-core machine a decision can take longer than the 150 ms that production
    // allows before the fallback decides; tests that want the fallback make the service unreachable
    RATE_LIMIT_TIMEOUT_MS: '2000',
    ...env,
  });
  const server = await buildServer({ config, app, trustsTraceparent: traceparentTrust });
  if (!options.listen) {
    await server.ready();
    return Object.assign(server, { url: '' });
  }
  return Object.assign(server, { url: (await listenInstance(server)).url });
}
