import { ConcurrencyError, type DomainEvent, type EventMetadata, type EventStore, type RecordedEvent, recordedEvents } from '@strata/event-store';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { type SessionsServiceEvent, project } from './projections/read-models.js';

export interface Decider<Command, State, E extends DomainEvent> {
  decide: (command: Command, state: State) => E[];
  evolve: (state: State, event: E) => State;
  initialState: State;
}

export interface CommandResult<State, E> {
  events: RecordedEvent<E & DomainEvent>[];
  state: State;
  version: number;
}

export { ConcurrencyError };

/**
 * Runs a command against one stream in one transaction: read the stream, decide (pure), append
 * with the version that was read, and update the read models. A concurrent writer makes the
 * append fail with ConcurrencyError; nothing is half written.
 */
export class CommandRunner {
  constructor(
    private readonly store: EventStore,
    private readonly db: Kysely<Database>,
  ) {}

  async run<Command, State, E extends SessionsServiceEvent>(
    streamId: string,
    decider: Decider<Command, State, E>,
    command: Command,
    metadata: EventMetadata,
  ): Promise<CommandResult<State, E>> {
    return this.db.transaction().execute(async (trx) => {
      const { state, version } = await this.store.aggregateStream<State, E>(
        streamId,
        (s, e) => decider.evolve(s, e),
        decider.initialState,
        { transaction: trx as never },
      );
      const decided = decider.decide(command, state);
      if (decided.length === 0) return { events: [], state, version };
      const result = await this.store.append(streamId, decided, {
        expectedVersion: version === 0 ? 'no_stream' : version,
        metadata,
        transaction: trx as never,
      });
      const recorded = recordedEvents(decided, result, metadata);
      for (const event of recorded) await project(trx, event);
      return { events: recorded, state: decided.reduce(decider.evolve, state), version: result.nextExpectedVersion };
    });
  }

  /** Folds a stream without writing (sign-in reads the account this way). */
  async load<State, E extends SessionsServiceEvent>(streamId: string, decider: Pick<Decider<unknown, State, E>, 'evolve' | 'initialState'>) {
    return this.store.aggregateStream<State, E>(streamId, (s, e) => decider.evolve(s, e), decider.initialState);
  }
}
