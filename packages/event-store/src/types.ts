/**
 * The shapes events take: as a decider produces them (DomainEvent), as the store accepts them
 * (NewEvent) and as the store hands them back (RecordedEvent).
 */

/** What a pure `decide` returns and a pure `evolve` consumes: a past-tense type and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** Version of the data's schema (1 = v1). Upcasters key on (type, schemaVersion). */
  schemaVersion?: number;
}

/**
 * Who and what caused an event; free-form keys are kept beside the known ones. The transport
 * context of the request that caused it (the client's address, its user agent) lives here and
 * only here: it is not part of what happened in the domain, and it is never published.
 */
export interface EventMetadata {
  actor?: string;
  correlationId?: string;
  causationId?: string;
  address?: string;
  userAgent?: string;
  [key: string]: unknown;
}

/** An event on its way into the store. */
export type NewEvent<E extends DomainEvent = DomainEvent> = E & {
  /** Give the id to make the append retry-safe: the same id is stored once. A uuid v4 otherwise. */
  id?: string;
  metadata?: EventMetadata;
  /** When it happened in the domain; defaults to the time of the append. */
  occurredAt?: Date;
};

/** An event as stored: the domain event plus where it sits in its stream and in the global log. */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = E & {
  id: string;
  schemaVersion: number;
  streamId: string;
  /** 1 for a stream's first event. */
  streamVersion: number;
  /** Unique and increasing in insertion order, NOT in commit order: never page the log by it alone. */
  globalPosition: number;
  /**
   * The ordering transaction id (see README, "Reading the global log"): the log is read in
   * (transactionId, globalPosition) order. A decimal string because xid8 is 64-bit.
   */
  transactionId: string;
  occurredAt: Date;
  metadata: EventMetadata;
};

/**
 * The state a stream must be in for an append to go through:
 * a version number (the number of events it holds; 0 means it must not exist),
 * `'no_stream'` (must not exist yet, same as 0) or `'any'` (no check).
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append: pass it as the next expected version. */
  nextExpectedVersion: number;
  events: { id: string; streamVersion: number; globalPosition: number; transactionId: string }[];
  /** True when every event id was already stored by an earlier append: nothing was written now. */
  duplicate: boolean;
}

/** A point in the global log: everything at or before it has been read. */
export interface LogCursor {
  transactionId: string;
  position: number;
}

export const LOG_START: LogCursor = Object.freeze({ transactionId: '0', position: 0 });

export type Decide<Command, State, E extends DomainEvent> = (command: Command, state: State) => readonly E[];
export type Evolve<State, E extends DomainEvent> = (state: State, event: E) => State;

export interface Decider<Command, State, E extends DomainEvent> {
  decide: Decide<Command, State, E>;
  evolve: Evolve<State, E>;
  initialState: State;
}

/** Time as a service sees it: injected, so that tests can drive it (one convention everywhere). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = Object.freeze({ now: () => new Date() });

/**
 * What leaves the service for a domain event: its published type, the version of its published
 * schema and the data that schema allows. A service maps each domain event to one explicitly, so
 * that a field the domain adds (a hash, an address) is not published unless the mapping says so.
 */
export interface PublishedEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}
