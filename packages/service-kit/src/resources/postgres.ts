import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool;
    /** False behind a pooler in transaction mode: no named prepared statements (kyselyFromPool's option). */
    pgNamedStatements: boolean;
  }
}

/** A pg pool as `app.pg`, checked by readiness and closed with the app. */
export const postgresPlugin = fp(
  async (app: FastifyInstance, opts: { connectionString: string; applicationName: string; max?: number; namedStatements?: boolean }) => {
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 10,
      connectionTimeoutMillis: 2_000,
      idleTimeoutMillis: 30_000,
      application_name: opts.applicationName,
    });
    // an idle client losing its connection must not crash the process; the next query reconnects
    pool.on('error', (err) => app.log.warn({ err }, 'idle Postgres connection lost'));
    app.decorate('pg', pool);
    app.decorate('pgNamedStatements', opts.namedStatements ?? true);
    app.addReadinessCheck('postgres', async () => {
      await pool.query('select 1');
      return { ok: true };
    });
    app.addHook('onClose', async () => pool.end());
  },
  { name: 'strata-postgres', dependencies: ['strata-health'] },
);
