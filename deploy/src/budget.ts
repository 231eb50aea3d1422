/**
 * The Postgres connection budget: what every app asks for at its HPA maximum, against what
 * PgBouncer and the server allow. Pure arithmetic over numbers read elsewhere
 * (`budget-inputs.ts` reads them from deploy/'s own files), so that a test can show it refusing
 * an input that does not fit.
 *
 * Two limits, because transaction pooling decouples them:
 * - **PgBouncer's clients** (`pgbouncer.max_client_conn`): every connection an app pool or a
 *   sidecar's state store opens to port 6432, whether busy or idle;
 * - **the server's connections** (`max_connections`, less what Azure keeps for itself): PgBouncer
 *   opens at most `pgbouncer.default_pool_size` per user/database pair, and the connections that
 *   hold session state (the event store's relay: its advisory lock and LISTEN) go to port 5432
 *   around it, one per pod, plus what operators open.
 */

/** What one app's pods ask of Postgres. */
export interface AppDemand {
  app: string;
  /** The HPA's maxReplicas. */
  maxReplicas: number;
  /** Extra pods a rolling update adds at that size (the Deployment's maxSurge, rounded up as Kubernetes does). */
  surge: number;
  /** Connections of the app's own pool through PgBouncer (DATABASE_POOL_SIZE). */
  appPool: number;
  /** The sidecar's Postgres components through PgBouncer (the state store's maxConns). */
  sidecarPool: number;
  /** Connections each pod opens to the server itself, past PgBouncer (the relay's, a direct pool). */
  direct: number;
}

export interface PoolerLimits {
  /** pgbouncer.max_client_conn */
  maxClientConn: number;
  /** pgbouncer.default_pool_size: server connections per user/database pair */
  defaultPoolSize: number;
  /** Distinct user/database pairs that connect through PgBouncer (the runbook's pooled connection strings). */
  pairs: number;
}

export interface ServerLimits {
  /** max_connections */
  maxConnections: number;
  /** Connections Azure keeps for replication and monitoring, which users cannot have. */
  reserved: number;
  /** Kept for people: psql during an incident, a restore check, a migration run by hand. */
  operators: number;
}

export interface AppBudget extends AppDemand {
  pods: number;
  /** pods x (appPool + sidecarPool): PgBouncer clients */
  pooled: number;
  /** pods x direct: server connections past PgBouncer */
  directTotal: number;
}

export interface Budget {
  apps: AppBudget[];
  pooler: PoolerLimits;
  server: ServerLimits;
  /** Every PgBouncer client at once. */
  clients: number;
  /** default_pool_size x pairs: the most PgBouncer opens to the server. */
  poolerToServer: number;
  direct: number;
  /** poolerToServer + direct + operators */
  serverDemand: number;
  /** max_connections - reserved */
  serverAvailable: number;
  /** Empty when the budget holds; otherwise one sentence per limit that is exceeded. */
  problems: string[];
}

export function computeBudget(demands: readonly AppDemand[], pooler: PoolerLimits, server: ServerLimits): Budget {
  const apps = demands.map((d) => {
    const pods = d.maxReplicas + d.surge;
    return { ...d, pods, pooled: pods * (d.appPool + d.sidecarPool), directTotal: pods * d.direct };
  });
  const clients = apps.reduce((sum, a) => sum + a.pooled, 0);
  const direct = apps.reduce((sum, a) => sum + a.directTotal, 0);
  const poolerToServer = pooler.defaultPoolSize * pooler.pairs;
  const serverDemand = poolerToServer + direct + server.operators;
  const serverAvailable = server.maxConnections - server.reserved;
  const problems: string[] = [];
  if (clients > pooler.maxClientConn) {
    problems.push(`PgBouncer clients: the apps open ${clients}, pgbouncer.max_client_conn is ${pooler.maxClientConn}`);
  }
  if (serverDemand > serverAvailable) {
    problems.push(
      `server connections: PgBouncer ${poolerToServer} + direct ${direct} + operators ${server.operators} = ${serverDemand}, ` +
        `max_connections ${server.maxConnections} - reserved ${server.reserved} = ${serverAvailable}`,
    );
  }
  for (const a of apps) {
    if (a.appPool + a.sidecarPool > 0 && pooler.pairs === 0) problems.push(`${a.app} uses PgBouncer, but no pooled connection string names a user and database`);
  }
  return { apps, pooler, server, clients, poolerToServer, direct, serverDemand, serverAvailable, problems };
}

/** The budget as Markdown tables (deploy/README.md prints this output, and a test keeps them equal). */
export function budgetTable(b: Budget): string {
  const lines = [
    '| app | pods at most (HPA max + surge) | app pool | sidecar state store | PgBouncer clients | direct per pod | direct |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...b.apps.map((a) => `| ${a.app} | ${a.maxReplicas} + ${a.surge} = ${a.pods} | ${a.appPool} | ${a.sidecarPool} | ${a.pooled} | ${a.direct} | ${a.directTotal} |`),
    `| **all** | | | | **${b.clients}** | | **${b.direct}** |`,
    '',
    '| limit | demand | allowed | fits |',
    '| --- | ---: | ---: | --- |',
    `| PgBouncer clients (\`pgbouncer.max_client_conn\`) | ${b.clients} | ${b.pooler.maxClientConn} | ${fits(b.clients, b.pooler.maxClientConn)} |`,
    `| server connections: PgBouncer (\`pgbouncer.default_pool_size\` ${b.pooler.defaultPoolSize} x ${b.pooler.pairs} user/database pair${b.pooler.pairs === 1 ? '' : 's'}) + direct + operators | ${b.poolerToServer} + ${b.direct} + ${b.server.operators} = ${b.serverDemand} | ${b.server.maxConnections} - ${b.server.reserved} reserved = ${b.serverAvailable} | ${fits(b.serverDemand, b.serverAvailable)} |`,
  ];
  return lines.join('\n');
}

const fits = (demand: number, allowed: number) => (demand <= allowed ? `yes (${allowed - demand} spare)` : `**no** (${demand - allowed} over)`);

/** Kubernetes' reading of maxSurge: a count, or a percentage of the replicas rounded up (default 25 %). */
export function surgeOf(maxSurge: number | string | undefined, replicas: number): number {
  if (maxSurge === undefined) return Math.ceil(replicas * 0.25);
  if (typeof maxSurge === 'number') return maxSurge;
  const percent = /^(\d+)%$/.exec(maxSurge);
  if (!percent) throw new Error(`maxSurge "${maxSurge}" is neither a count nor a percentage`);
  return Math.ceil((replicas * Number(percent[1])) / 100);
}
