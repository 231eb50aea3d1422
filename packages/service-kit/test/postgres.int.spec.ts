import type {} from '@strata/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { healthPlugin } from '../src/health.js';
import { metricsPlugin } from '../src/metrics.js';
import { postgresPlugin } from '../src/resources/postgres.js';

// The crash of issue 18: pg_terminate_backend (an Azure HA failover) on a connection the app had
// checked out ended the process with "terminating connection due to administrator command".

const stack = inject('stack');
const APP = `pg-plugin-test-${process.pid}`;
let app: FastifyInstance;
const admin = new pg.Pool({ connectionString: stack.databaseUrl, max: 1, application_name: 'pg-plugin-test-admin' });

beforeAll(async () => {
  app = Fastify({ logger: false });
  await app.register(metricsPlugin, { appId: APP });
  await app.register(healthPlugin);
  await app.register(postgresPlugin, { connectionString: stack.databaseUrl, applicationName: APP, max: 2 });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await admin.end();
});

const terminateAll = () => admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name like $1`, [`${APP}%`]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the app's Postgres pools", () => {
  it('survive the termination of a connection that is checked out (in a transaction) and of idle ones, and count them', async () => {
    let uncaught: unknown;
    const onUncaught = (error: unknown) => (uncaught = error);
    process.on('uncaughtException', onUncaught);
    try {
      const inUse = await app.pg.connect();
      await inUse.query('begin');
      const direct = await app.pgDirect.connect();
      await app.pg.query('select 1'); // an idle one in the pool too
      await terminateAll();
      await sleep(300);
      await expect(inUse.query('select 1')).rejects.toThrow();
      inUse.release();
      direct.release();
      expect(uncaught).toBeUndefined();
      const metrics = await app.metrics.metrics();
      expect(metrics).toMatch(new RegExp(`postgres_connections_lost_total\\{pool="${APP}"[^}]*\\} [1-9]`));
      expect(metrics).toMatch(new RegExp(`postgres_connections_lost_total\\{pool="${APP}-direct"[^}]*\\} 1\\n`));
      // and both pools serve again at once
      expect((await app.pg.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
      expect((await app.pgDirect.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
      const ready = await app.readiness();
      expect(ready.checks.postgres).toMatchObject({ ok: true });
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
