export type {
  AppendResult,
  Decide,
  Decider,
  DomainEvent,
  EventMetadata,
  Evolve,
  ExpectedVersion,
  LogCursor,
  NewEvent,
  RecordedEvent,
} from './types.js';
export { LOG_START, recordedEvents } from './types.js';
export { ConcurrencyError, DuplicateEventError } from './errors.js';
export { MIGRATION_TABLE, migrateEventStore } from './migrate.js';
export { type AppendOptions, EventStore, type EventStoreOptions, type Executor, type ReadStreamOptions, kyselyFromPool, notifyChannel } from './store.js';
export { type HandleCommandOptions, type HandleCommandResult, handleCommand } from './command.js';
export { compareCursors, cursorOf, findOrderViolation } from './log-order.js';
export { type Publisher, Relay, type RelayOptions, type RelayState } from './relay.js';
export { CLOUDEVENTS_CONTENT_TYPE, DaprPublisher, type DaprPublisherOptions, type EventCloudEvent, toCloudEvent } from './dapr-publisher.js';
export {
  type BatchHandler,
  type Projection,
  Subscription,
  type SubscriptionOptions,
  projectionSubscription,
  rebuildProjection,
} from './subscription.js';
export { deciderSpec, given } from './testing.js';
