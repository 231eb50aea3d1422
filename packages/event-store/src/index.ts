export type {
  AppendResult,
  Clock,
  Decide,
  Decider,
  DomainEvent,
  EventMetadata,
  Evolve,
  ExpectedVersion,
  LogCursor,
  NewEvent,
  PublishedEvent,
  RecordedEvent,
} from './types.js';
export { LOG_START, systemClock } from './types.js';
export { ConcurrencyError, DuplicateEventError } from './errors.js';
export { MIGRATION_TABLE, migrateEventStore } from './migrate.js';
export { type AppendOptions, EventStore, type EventStoreOptions, type Executor, type ReadStreamOptions, kyselyFromPool, notifyChannel } from './store.js';
export {
  type CommandHandler,
  type CommandHandlerOptions,
  type CommandResult,
  type HandleOptions,
  type Projection,
  type RebuildOptions,
  commandHandler,
  projection,
} from './handler.js';
export { type RebuildCommandOptions, type RebuildOutput, type RebuildTarget, rebuildCommand, runRebuild } from './rebuild-command.js';
export { REBUILD_REQUEST_TABLE, type RequestedRebuild, requestedRebuilds, runRequestedRebuilds } from './requested-rebuilds.js';
export { compareCursors, cursorOf, findOrderViolation } from './log-order.js';
export { type Publisher, Relay, type RelayOptions, type RelayState } from './relay.js';
export { CLOUDEVENTS_CONTENT_TYPE, DaprPublisher, type DaprPublisherOptions, type EventCloudEvent, toCloudEvent } from './dapr-publisher.js';
export { deciderSpec, given } from './testing.js';
export {
  CommitOutcomeUnknownError,
  FAILOVER_RETRY,
  type RetryOptions,
  type RetryPolicy,
  connectionFailureOf,
  errorChain,
  isConnectionError,
  retryDelay,
  withRetries,
} from './transient.js';
export { type ResilienceOptions, ResilientPostgresDialect, isReadOnlyStatement } from './resilient-driver.js';
