export { BaseConfigSchema, ConfigError, PoolSizeSchema, PortSchema, StoresConfigSchema, loadConfig, type BaseConfig } from './config.js';
export { AppError, PROBLEM_CONTENT_TYPE, httpError, registerProblemHandlers, sendProblem, unavailable, type Problem } from './errors.js';
export { DEPENDENCY_RETRY_AFTER_SECONDS, type Dependency, type DependencyFailure, dependencyFailureOf } from './dependencies.js';
export { waitFor } from './wait.js';
// the retry policy every service uses for what is safe to repeat (event-store's, re-exported)
export { FAILOVER_RETRY, type RetryOptions, type RetryPolicy, isConnectionError, retryDelay, withRetries } from '@strata/event-store';
export { ensureTrace, loggableUrl, loggerOptions, requestId, traceOf } from './logging.js';
export { metricsPlugin } from './metrics.js';
export { healthPlugin, type CheckResult, type ReadinessCheck } from './health.js';
export { CLOUDEVENTS_CONTENT_TYPE, daprPlugin } from './dapr-plugin.js';
export { heartbeatPlugin, type ServiceHeartbeat } from './heartbeat.js';
export { buildServer, runServer, type ServerOptions } from './server.js';
export { platformPlugin } from './platform.js';
export { postgresPlugin } from './resources/postgres.js';
export { type StoresConfig, registerStores } from './resources/stores.js';
export { REDIS_MODES, type RedisClient, type RedisMode, createRedisClient, duplicateRedis, redisAddress, redisPlugin } from './resources/redis.js';
export { SecretReader, StartupError, waitForSidecar } from './secrets.js';
export { type OpenApiDocument, describeApi, mergeDocuments, openapiPlugin } from './openapi.js';
export { subscriptionsPlugin, type DeliveredEvent, type DeliveryOutcome, type Subscription } from './subscriptions.js';
export { eventRelayPlugin, type EventRelayOptions } from './relay.js';
export {
  MAX_ADDRESS_LENGTH,
  MAX_USER_AGENT_LENGTH,
  type RequestContext,
  type RequestContextOptions,
  requestContextOf,
  requestContextPlugin,
  transportOf,
} from './request-context.js';
// one clock convention for every service: `{ now(): Date }`, injected
export { type Clock, systemClock } from '@strata/event-store';
export { ProblemSchema, problems } from './problem-schema.js';
export { migrateReadModels } from './read-models.js';
export { RESERVED_PREFIX, exposureOf, listenerOf, serves, type Exposure, type ListenerName } from './listeners.js';
export { PathError, canonicalPath } from './paths.js';
