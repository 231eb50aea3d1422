import type { TestStackInfo } from '@strata/testing';
import { type Clock, buildServer } from '@strata/service-kit';
import { listenInstance } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import files from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(date: Date): void {
    this.current = new Date(date);
  }
}

/**
 * An extra files instance in this process, beside the stack's own (another replica, as far as
 * Postgres, Azurite and Dapr can tell), with its own settings. It uses the stack's files sidecar.
 */
export async function startFilesInstance(stack: TestStackInfo, env: Record<string, string> = {}, clock?: Clock) {
  const config = loadServiceConfig({
    PORT: '0',
    APP_ID: 'files',
    DAPR_HTTP_PORT: String(stack.apps.files!.daprHttpPort),
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.redisUrl,
    BLOB_CONNECTION_STRING: stack.blobConnectionString,
    LOG_LEVEL: process.env.FILES_TEST_LOG_LEVEL ?? 'silent',
    JOBS_INTERVAL_MS: '0',
    HEARTBEAT_INTERVAL_MS: '60000',
    ...env,
  });
  // the service's decorations (jobs, db...) live in its plugin's context, not on the root
  let service: FastifyInstance | undefined;
  const instance = await listenInstance(await buildServer({
    config,
    app: async (scope, opts) => {
      service = scope;
      await files(scope, { ...opts, ...(clock ? { clock } : {}) });
    },
    bodyLimit: 64 * 1024,
  }));
  return { app: service!, server: instance.server, url: instance.url, close: instance.close };
}
