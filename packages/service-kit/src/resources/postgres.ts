import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's pool: through the pooler on AKS (transaction pooling: no session state survives a transaction). */
    pg: pg.Pool;
    /**
     * A small pool to the server itself, past the pooler, for what must keep its server session:
     * session advisory locks (migrations, a scheduled round). Without a direct address it is the
     * same server as `pg`, in a pool of its own.
     */
    pgDirect: pg.Pool;
    /** False behind a pooler in transaction mode: no named prepared statements (kyselyFromPool's option). */
    pgNamedStatements: boolean;
  }
}

export interface PostgresOptions {
  connectionString: string;
  applicationName: string;
  max?: number;
  namedStatements?: boolean;
  /** The direct pool's address and size (default: the pooled address, 1 connection). */
  direct?: { connectionString: string; max?: number };
}

/** The pg pools as `app.pg` and `app.pgDirect`, checked by readiness and closed with the app. */
export const postgresPlugin = fp(
  async (app: FastifyInstance, opts: PostgresOptions) => {
    const poolOf = (connectionString: string, max: number, applicationName: string) => {
      const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 2_000, idleTimeoutMillis: 30_000, application_name: applicationName });
      // an idle client losing its connection must not crash the process; the next query reconnects
      pool.on('error', (err) => app.log.warn({ err, pool: applicationName }, 'idle Postgres connection lost'));
      return pool;
    };
    const pool = poolOf(opts.connectionString, opts.max ?? 10, opts.applicationName);
    const direct = poolOf(opts.direct?.connectionString ?? opts.connectionString, opts.direct?.max ?? 1, `${opts.applicationName}-direct`);
    app.decorate('pg', pool);
    app.decorate('pgDirect', direct);
    app.decorate('pgNamedStatements', opts.namedStatements ?? true);
    // the direct pool serves start-up and background rounds only: requests need the pooled one
    app.addReadinessCheck('postgres', async () => {
      await pool.query('select 1');
      return { ok: true };
    });
    app.addHook('onClose', async () => {
      await Promise.all([pool.end(), direct.end()]);
    });
  },
  { name: 'strata-postgres', dependencies: ['strata-health'] },
);
