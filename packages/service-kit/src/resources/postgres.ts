import { connectionFailureOf } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import { waitFor } from '../wait.js';

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
  /** How long start-up waits for Postgres to answer before it gives up (default 60 s). */
  startupTimeoutMs?: number;
}

/**
 * The pg pools as `app.pg` and `app.pgDirect`, checked by readiness and closed with the app.
 *
 * A lost connection never ends the process. pg emits 'error' on a client whose connection ends
 * (pg_terminate_backend, a failover, a restart); pg-pool handles it only while the client is idle
 * in the pool, so a client checked out at that moment (a transaction between statements, a
 * session lock held by a scheduled round) would throw it as an uncaught exception. Every client
 * gets its own listener when it connects: the failure is logged and counted, the query in flight
 * fails (a 503 or a retry, see registerProblemHandlers and kyselyFromPool), the pool drops the
 * broken client on release and connects anew on the next query.
 */
export const postgresPlugin = fp(
  async (app: FastifyInstance, opts: PostgresOptions) => {
    const lost = new Counter({
      name: 'postgres_connections_lost_total',
      help: 'Postgres connections of this process that ended without being closed by it (failover, restart, terminated).',
      labelNames: ['pool'] as const,
      registers: [app.metrics],
    });
    let lastLoss: { at: Date; reason: string } | undefined;
    const poolOf = (connectionString: string, max: number, applicationName: string) => {
      const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 2_000, idleTimeoutMillis: 30_000, application_name: applicationName, keepAlive: true });
      // pg reports one lost connection twice (the server's FATAL, then the socket's end): once here
      const counted = new WeakSet<object>();
      const onLost = (err: Error, client: object) => {
        if (counted.has(client)) return;
        counted.add(client);
        lost.inc({ pool: applicationName });
        lastLoss = { at: new Date(), reason: connectionFailureOf(err) ?? err.message };
        app.log.warn({ err, pool: applicationName }, 'Postgres connection lost; the pool reconnects on the next query');
      };
      // an idle client: the pool drops it and reports here
      pool.on('error', (err, client) => onLost(err, client));
      // a client in use: without a listener of its own its 'error' would end the process (an
      // idle one's reaches the pool's listener above, so it is reported there, once)
      const inUse = new WeakSet<pg.PoolClient>();
      pool.on('acquire', (client) => inUse.add(client));
      pool.on('release', (_err, client) => inUse.delete(client));
      pool.on('connect', (client) => {
        client.on('error', (err) => {
          if (inUse.has(client)) onLost(err, client);
        });
      });
      return pool;
    };
    const pool = poolOf(opts.connectionString, opts.max ?? 10, opts.applicationName);
    const direct = poolOf(opts.direct?.connectionString ?? opts.connectionString, opts.direct?.max ?? 1, `${opts.applicationName}-direct`);
    // each pool's use at each scrape (PostgresPoolExhausted), and the server's connections as
    // pg_stat_activity counts them (PostgreSQLConnectionsHigh: every replica reports the same
    // server-wide number; the alert takes the max). The count is read at most every 15 s, and not
    // while the pool has queries waiting (a scrape must not add to an exhausted pool).
    const pools = [
      { name: opts.applicationName, pool, max: opts.max ?? 10 },
      { name: `${opts.applicationName}-direct`, pool: direct, max: opts.direct?.max ?? 1 },
    ];
    const poolGauge = (name: string, help: string, value: (p: (typeof pools)[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        registers: [app.metrics],
        collect() {
          for (const p of pools) this.set({ pool: p.name }, value(p));
        },
      });
    poolGauge('postgres_pool_total', 'Connections the pool holds (in use and idle).', (p) => p.pool.totalCount);
    poolGauge('postgres_pool_idle', 'Connections of the pool that are idle.', (p) => p.pool.idleCount);
    poolGauge('postgres_pool_waiting', 'Queries waiting for a connection of the pool.', (p) => p.pool.waitingCount);
    poolGauge('postgres_pool_max', 'The most connections the pool opens.', (p) => p.max);
    let serverCount: { at: number; value: number | undefined } = { at: 0, value: undefined };
    new Gauge({
      name: 'postgres_server_connections',
      help: "The server's client connections (pg_stat_activity), as this replica sees them; read at most every 15 s.",
      registers: [app.metrics],
      async collect() {
        if (Date.now() - serverCount.at > 15_000 && pool.waitingCount === 0) {
          serverCount = { at: Date.now(), value: serverCount.value };
          try {
            const { rows } = await pool.query<{ n: string }>("select count(*) as n from pg_stat_activity where backend_type = 'client backend'");
            serverCount.value = Number(rows[0]?.n ?? 0);
          } catch {
            // the readiness check reports an unreachable server; the last count stays
          }
        }
        if (serverCount.value !== undefined) this.set(serverCount.value);
      },
    });
    app.decorate('pg', pool);
    app.decorate('pgDirect', direct);
    app.decorate('pgNamedStatements', opts.namedStatements ?? true);
    // the direct pool serves start-up and background rounds only: requests need the pooled one
    app.addReadinessCheck('postgres', async () => {
      try {
        await pool.query('select 1');
      } catch (error) {
        return { ok: false, reason: `Postgres does not answer: ${connectionFailureOf(error) ?? (error instanceof Error ? error.message : String(error))}` };
      }
      return lastLoss && Date.now() - lastLoss.at.getTime() < 60_000
        ? { ok: true, detail: `reconnected after a lost connection at ${lastLoss.at.toISOString()} (${lastLoss.reason})` }
        : { ok: true };
    });
    app.addHook('onClose', async () => {
      await Promise.all([pool.end(), direct.end()]);
    });
    // the migrations come next: a database that is restarting (or failing over) is waited for
    await waitFor('Postgres', () => direct.query('select 1'), app.log, { timeoutMs: opts.startupTimeoutMs ?? 60_000 });
  },
  { name: 'strata-postgres', dependencies: ['strata-health', 'strata-metrics'] },
);
