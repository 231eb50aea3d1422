import { ConcurrencyError } from './errors.js';
import type { EventStore } from './store.js';
import type { AppendResult, Decide, DomainEvent, EventMetadata, Evolve, ExpectedVersion, NewEvent, RecordedEvent } from './types.js';

export interface HandleCommandOptions {
  /** Metadata for every event produced (actor, correlation id, causation id). */
  metadata?: EventMetadata;
  /**
   * The version the client based its command on (If-Match). A mismatch is a ConcurrencyError
   * before anything is decided; without it the version just read is expected.
   */
  expectedVersion?: ExpectedVersion;
  /**
   * How many times to read and decide again after a conflict with a concurrent writer (default 0:
   * the conflict goes to the caller). Safe because decide is pure; ignored with expectedVersion.
   */
  retries?: number;
  /** Gives each produced event its id, e.g. derived from a request id, to make retries idempotent. */
  eventId?: (event: DomainEvent, index: number) => string;
}

export interface HandleCommandResult<State, E extends DomainEvent> {
  /** The state after the new events. */
  state: State;
  events: readonly E[];
  /** Undefined when decide produced no events (nothing was written). */
  appended: AppendResult | undefined;
  /** The stream's version after the command. */
  version: number;
}

/**
 * Read the stream, run the pure `decide`, append what it returns expecting the version read: the
 * whole of a command, with no lost update possible.
 */
export async function handleCommand<Command, State, E extends DomainEvent>(
  store: EventStore,
  streamId: string,
  command: Command,
  decide: Decide<Command, State, E>,
  evolve: Evolve<State, E>,
  initialState: State,
  options: HandleCommandOptions = {},
): Promise<HandleCommandResult<State, E>> {
  const retries = options.expectedVersion === undefined ? (options.retries ?? 0) : 0;
  for (let attempt = 0; ; attempt++) {
    const { state, version } = await store.aggregateStream<State, E>(
      streamId,
      evolve as Evolve<State, RecordedEvent<E>>,
      initialState,
    );
    const expected = options.expectedVersion;
    if (expected !== undefined && expected !== 'any' && (expected === 'no_stream' ? 0 : expected) !== version) {
      throw new ConcurrencyError(streamId, expected, version);
    }
    const events = decide(command, state);
    if (events.length === 0) return { state, events, appended: undefined, version };
    const toAppend = events.map(
      (event, i): NewEvent<E> => (options.eventId ? { ...event, id: options.eventId(event, i) } : { ...event }),
    );
    try {
      const appended = await store.append(streamId, toAppend, {
        expectedVersion: expected ?? version,
        ...(options.metadata ? { metadata: options.metadata } : {}),
      });
      return { state: events.reduce(evolve, state), events, appended, version: appended.nextExpectedVersion };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= retries) throw err;
    }
  }
}
