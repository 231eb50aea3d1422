import { Secrets } from '@strata/contracts';
import type { TestStackInfo } from '@strata/testing';
import { buildServer } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import app from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

/**
 * A sessions replica in this process, beside the one the stack runs: on the stack's sessions
 * sidecar, database, Redis and signing keys (read from the stack's secrets file), ready for `inject`.
 */
export async function startSessionsReplica(stack: TestStackInfo, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const secrets = JSON.parse(readFileSync(stack.secretsFile, 'utf8')) as Record<string, string>;
  const config = loadServiceConfig({
    APP_ID: 'sessions',
    PORT: '0',
    DAPR_HTTP_PORT: String(stack.apps.sessions!.daprHttpPort),
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.redisUrl,
    TOKEN_SIGNING_KEYS: secrets[Secrets.tokenSigningKeys]!,
    HEARTBEAT_INTERVAL_MS: '600000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await buildServer({ config, app });
  await server.ready();
  return server;
}
