import { type Static, type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once, at boot, against a TypeBox schema: defaults are applied, strings
 * converted to numbers and booleans, and every problem is reported together with the variable's name.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  const errors = [...Value.Errors(schema, converted)];
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const name = e.path.replace(/^\//, '') || '(root)';
      const given = env[name];
      return given === undefined ? `${name} is required: ${e.message}` : `${name}=${JSON.stringify(given)}: ${e.message}`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  return converted as Static<S>;
}

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

/** Variables every service reads. Services extend this with their own. */
export const BaseConfigSchema = Type.Object({
  /** The main listener: the public entry for the gateway, the Dapr app channel for every other app. */
  PORT: Port,
  HOST: Type.String({ default: '127.0.0.1' }),
  /** Probes, /metrics and operator views (kubelet, Prometheus, port-forward); 0 picks a free port. */
  INTERNAL_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  INTERNAL_HOST: Type.String({ default: '127.0.0.1' }),
  /**
   * Which listener the app's Dapr sidecar talks to (its --app-port): `main` for apps whose API is
   * reached through Dapr, `internal` for the gateway, whose main listener is public.
   */
  APP_CHANNEL: Type.Union([Type.Literal('main'), Type.Literal('internal')], { default: 'main' }),
  APP_ID: Type.String({ minLength: 1 }),
  DAPR_HTTP_PORT: Port,
  DAPR_API_TOKEN: Type.Optional(Type.String()),
  /**
   * The token the sidecar sends to the app (as dapr-api-token) when both run with APP_API_TOKEN.
   * Only the sidecar may call /dapr/* (without the token, nobody may), and, on an app channel
   * that is the main listener, every API route.
   */
  APP_API_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /**
   * How the app's Redis client reaches the `redis-url` it is given: one server, or a Redis Cluster
   * (Azure Cache for Redis with clustering, as deploy/ sets it). Apps without Redis ignore it.
   */
  REDIS_MODE: Type.Union([Type.Literal('standalone'), Type.Literal('cluster')], { default: 'standalone' }),
  /**
   * Named prepared statements on the app's Postgres connections (the event store's hot
   * statements). Off behind a pooler in transaction mode (PgBouncer 1.18; later releases without
   * max_prepared_statements), where a statement prepared in one transaction is on a server
   * connection the next may not get. Apps without Postgres ignore it.
   */
  DATABASE_NAMED_STATEMENTS: Type.Boolean({ default: true }),
  /** How long shutdown waits for in-flight requests before it gives up. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  /** How often the service announces itself on pub/sub. */
  HEARTBEAT_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
});
export type BaseConfig = Static<typeof BaseConfigSchema>;

export const PortSchema = Port;

/**
 * Connections one pg pool may open (DATABASE_POOL_SIZE and the like). deploy/ sets it for every
 * app that opens Postgres, and its connection budget (deploy/src/budget.ts) multiplies it by the
 * HPA's maximum: the ceiling keeps a typo from taking the whole pooler.
 */
export const PoolSizeSchema = Type.Integer({ minimum: 1, maximum: 100, default: 10 });

/**
 * What an app that keeps state configures for its stores (service-kit's registerStores). Each
 * URL falls back to the secret store; with DATABASE_URL set and no DATABASE_DIRECT_URL, the direct
 * connections use DATABASE_URL too (no pooler in between: tests, a local run).
 */
export const StoresConfigSchema = Type.Object({
  /** Postgres for the app's pool, through the pooler on AKS (`postgres-connection-string`). */
  DATABASE_URL: Type.Optional(Type.String()),
  /**
   * Postgres itself, past the pooler (`postgres-direct-connection-string`): the connections that
   * keep state in their server session, the event relay's and DATABASE_DIRECT_POOL_SIZE's.
   */
  DATABASE_DIRECT_URL: Type.Optional(Type.String()),
  /** Connections of this replica's pool (through PgBouncer on AKS: deploy/README.md, "Connection budget"). */
  DATABASE_POOL_SIZE: PoolSizeSchema,
  /**
   * Connections of this replica's direct pool: session advisory locks (migrations at start, a
   * scheduled round, one at a time) and nothing else, so one suffices; the relay's is beside it.
   */
  DATABASE_DIRECT_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 10, default: 1 }),
  /** Redis (revocations, caches, throttles); from the secret store (`redis-url`) when unset. */
  REDIS_URL: Type.Optional(Type.String()),
});
