import type { TestStackInfo } from '@strata/testing';
import { buildServer } from '@strata/service-kit';
import { listenInstance } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import insights from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

/**
 * An extra insights instance in this process, beside the stack's own (another replica, or a newer
 * release during a rolling update), with its own settings. It uses the stack's insights sidecar.
 * INDEX_POLL_MS 0: its indexer runs only when the test calls `app.indexer.runOnce()`.
 */
export async function startInsightsInstance(stack: TestStackInfo, env: Record<string, string> = {}) {
  const config = loadServiceConfig({
    PORT: '0',
    APP_ID: 'insights',
    DAPR_HTTP_PORT: String(stack.apps.insights!.daprHttpPort),
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.redisUrl,
    LOG_LEVEL: process.env.INSIGHTS_TEST_LOG_LEVEL ?? 'silent',
    INDEX_POLL_MS: '0',
    HEARTBEAT_INTERVAL_MS: '60000',
    ...env,
  });
  let service: FastifyInstance | undefined;
  const instance = await listenInstance(
    await buildServer({
      config,
      app: async (scope, opts) => {
        service = scope;
        await insights(scope, opts);
      },
      bodyLimit: 64 * 1024,
    }),
  );
  return { app: service!, url: instance.url, close: instance.close };
}
