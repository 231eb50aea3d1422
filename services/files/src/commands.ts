import { ConcurrencyError, type EventMetadata, type EventStore, type RecordedEvent, recordedEvents } from '@strata/event-store';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './db/schema.js';
import type { FileCommand } from './domain/file/decide.js';
import type { FileEvent, FileState } from './domain/file/file.js';
import { project } from './projections/read-models.js';
import { fileDecider, fileStream } from './streams.js';

export { ConcurrencyError };

export interface CommandResult {
  events: RecordedEvent<FileEvent>[];
  state: FileState;
  /** The stream's version after the command (the file's revision). */
  version: number;
}

export interface RunOptions {
  metadata: EventMetadata;
  /** The revision the client based its command on (If-Match); a mismatch is a ConcurrencyError. */
  expectedRevision?: number;
  /** Runs in the same transaction after the append (idempotency keys, quota checks). */
  after?: (trx: Transaction<Database>, result: CommandResult) => Promise<void>;
}

/**
 * Runs a command against one file's stream in one transaction: read the stream, decide (pure),
 * append with the version read (or the client's If-Match), update the read models, then the
 * caller's own rows. A concurrent writer makes the append fail with ConcurrencyError.
 */
export class CommandRunner {
  constructor(
    private readonly store: EventStore,
    private readonly db: Kysely<Database>,
  ) {}

  async run(fileId: string, command: FileCommand, options: RunOptions): Promise<CommandResult> {
    const streamId = fileStream(fileId);
    return this.db.transaction().execute(async (trx) => {
      const { state, version } = await this.store.aggregateStream<FileState, FileEvent>(streamId, fileDecider.evolve, fileDecider.initialState, {
        transaction: trx as never,
      });
      if (options.expectedRevision !== undefined && options.expectedRevision !== version) {
        throw new ConcurrencyError(streamId, options.expectedRevision, version);
      }
      const decided = fileDecider.decide(command, state);
      let result: CommandResult = { events: [], state, version };
      if (decided.length > 0) {
        const appended = await this.store.append(streamId, decided, {
          expectedVersion: version === 0 ? 'no_stream' : version,
          metadata: options.metadata,
          transaction: trx as never,
        });
        const recorded = recordedEvents<FileEvent>(decided, appended, options.metadata);
        for (const event of recorded) await project(trx, event);
        result = { events: recorded, state: decided.reduce(fileDecider.evolve, state), version: appended.nextExpectedVersion };
      }
      if (options.after) await options.after(trx, result);
      return result;
    });
  }

  async load(fileId: string) {
    return this.store.aggregateStream<FileState, FileEvent>(fileStream(fileId), fileDecider.evolve, fileDecider.initialState);
  }
}
