import { randomUUID } from 'node:crypto';
import { type Kysely, type Transaction, sql } from 'kysely';
import { ConcurrencyError } from './errors.js';
import { cursorOf } from './log-order.js';
import { type EventStore, PREPARED } from './store.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommitOutcomeUnknownError, FAILOVER_RETRY, type RetryPolicy, isConnectionError, withRetries } from './transient.js';
import {
  type AppendResult,
  type Clock,
  type Decider,
  type DomainEvent,
  type EventMetadata,
  type ExpectedVersion,
  LOG_START,
  type NewEvent,
  type RecordedEvent,
  systemClock,
} from './types.js';

/**
 * A read model kept in the transaction of the append that changes it, so a client reads its own
 * writes at once. It says which event types it handles (it is handed no others), how one event
 * changes its tables, and how it empties them: with that, `rebuild` replays the log through it.
 */
export interface Projection<E extends DomainEvent, DB> {
  /** Unique among the store's projections: it names the projection's rebuild lock. */
  readonly name: string;
  readonly handles: readonly E['type'][];
  /** Applies one event; called in event order, in the append's (or the rebuild's) transaction. */
  evolve(trx: Transaction<DB>, event: RecordedEvent<E>): Promise<void>;
  /** Empties the projection's tables (the first step of a rebuild, in its transaction). */
  reset(trx: Transaction<DB>): Promise<void>;
}

/**
 * Declares a projection of some of a decider's event types: its `evolve` is typed for exactly the
 * types it lists in `handles`, so its switch can end in a `never` check of its own.
 *
 *   export const grants = projection<FileEvent, Database>()({ name: 'grants', handles: [...], evolve, reset });
 */
export function projection<E extends DomainEvent, DB>() {
  return <T extends E['type']>(spec: {
    name: string;
    handles: readonly T[];
    evolve(trx: Transaction<DB>, event: RecordedEvent<Extract<E, { type: T }>>): Promise<void>;
    reset(trx: Transaction<DB>): Promise<void>;
  }): Projection<E, DB> => spec;
}

export interface CommandResult<State, E extends DomainEvent> {
  /** What was appended (none when decide had nothing to say), as a reader of the log would get it. */
  events: RecordedEvent<E>[];
  /** The state after the new events. */
  state: State;
  /** The stream's version after the command (pass it as the next expected version). */
  version: number;
}

export interface HandleOptions<State, E extends DomainEvent, DB> {
  /** Merged into every event's metadata: actor, correlation id, the request's transport context. */
  metadata?: EventMetadata;
  /**
   * The version the client based its command on (If-Match): a mismatch is a ConcurrencyError
   * before anything is decided. Without it the version just read is expected.
   */
  expectedVersion?: ExpectedVersion;
  /**
   * How many times to read and decide again after losing to a concurrent writer (default 0: the
   * ConcurrencyError goes to the caller). Safe because decide is pure; ignored with expectedVersion.
   */
  retries?: number;
  /** The caller's own rows, in the same transaction after the projections (idempotency keys, quota checks): throw to roll it all back. */
  after?: (trx: Transaction<DB>, result: CommandResult<State, E>) => Promise<void>;
  /**
   * Run inside the caller's transaction instead of one of its own: a command that spans several
   * streams (a folder trashed with every file inside), or one decided on rows the caller read
   * under its own lock, commits or rolls back as one. The caller owns the transaction; a
   * ConcurrencyError leaves it usable (numbered appends never raise inside it).
   */
  transaction?: Transaction<DB>;
  /**
   * When the events happened (default: the handler's clock, read as they are appended). A command
   * over several streams in one transaction passes one time to all of them, so that a reader of
   * the log as of any moment (time travel) sees all of it or none of it.
   */
  occurredAt?: Date;
}

export interface CommandHandler<Id, Command, State, E extends DomainEvent, DB> {
  /** Reads the stream, decides, appends with the version read and runs the projections: one transaction. */
  handle(id: Id, command: Command, options?: HandleOptions<State, E, DB>): Promise<CommandResult<State, E>>;
  /** The stream's state without writing (a sign-in reads the account this way). */
  load(id: Id): Promise<{ state: State; version: number }>;
  /**
   * Empties one of this handler's projections and replays every event it handles from the log,
   * in one transaction: readers see the old rows until it commits, commands that would change
   * the projection wait for it (and it for them). Returns how many events it replayed.
   * `onlyIf`, run under the projection's lock before anything is emptied, can call it off
   * (nothing changes, 0 is returned): a rebuild asked for once, that another replica did first.
   */
  rebuild(projection: Projection<E, DB>, options?: RebuildOptions<DB>): Promise<number>;
}

export interface RebuildOptions<DB> {
  /** Whether to go on, asked in the rebuild's transaction under its lock; what it writes commits with the rebuild. */
  onlyIf?: (trx: Transaction<DB>) => Promise<boolean>;
}

export interface CommandHandlerOptions<Id, Command, State, E extends DomainEvent, DB> {
  store: EventStore;
  /** Where the projections' tables are; each command's transaction is opened on it. */
  db: Kysely<DB>;
  decider: Decider<Command, State, E>;
  /** The stream a command about `id` reads and appends to. */
  streamOf: (id: Id) => string;
  projections: readonly Projection<E, DB>[];
  /** Stamps each event's occurredAt (default: the system's). */
  clock?: Clock;
  /** How long a command is tried again across a lost connection (default FAILOVER_RETRY: up to 5 s). */
  retryPolicy?: RetryPolicy;
}

const REPLAY_BATCH = 1_000;
/** How often a transaction still committing after a lost COMMIT is asked about again (ms). */
const COMMIT_POLL_MS = 50;

/**
 * The one command path of a decider (after Emmett's `handleCommandWithDecider`): a service wires
 * its decider, stream names and projections once, and a route calls `handle(id, command, ...)`.
 */
export function commandHandler<Id, Command, State, E extends DomainEvent, DB>(
  options: CommandHandlerOptions<Id, Command, State, E, DB>,
): CommandHandler<Id, Command, State, E, DB> {
  const { store, db, decider, streamOf, projections } = options;
  const clock = options.clock ?? systemClock;
  const names = new Set(projections.map((p) => p.name));
  if (names.size !== projections.length) throw new Error('projections of one handler need names of their own');
  const handled = new Map(projections.map((p) => [p, new Set<string>(p.handles)]));
  // a rebuild takes its projection's lock exclusively; every command that may change the
  // projection holds it shared, taken first so that the two never wait on each other's rows
  const lockKey = (p: Projection<E, DB>) => `strata.event-store.projection.${store.schema}.${p.name}`;
  const keys = projections.map(lockKey);
  /** What an attempt got to before its COMMIT: its result, and its transaction's id once it appends. */
  type Pending = { result?: CommandResult<State, E>; xid?: string };

  async function attempt(
    streamId: string,
    command: Command,
    opts: HandleOptions<State, E, DB>,
    pending: Pending,
  ): Promise<CommandResult<State, E>> {
    const inTransaction = <T>(work: (trx: Transaction<DB>) => Promise<T>) => (opts.transaction ? work(opts.transaction) : db.transaction().execute(work));
    return inTransaction(async (trx) => {
      if (keys.length > 0) {
        await sql`${sql.raw(PREPARED)}select pg_advisory_xact_lock_shared(hashtextextended(k, 0)) from unnest(${keys}::text[]) as k`.execute(trx);
      }
      const { state, version } = await store.aggregateStream(streamId, decider.evolve, decider.initialState, { transaction: trx });
      const expected = opts.expectedVersion;
      if (expected !== undefined && expected !== 'any' && (expected === 'no_stream' ? 0 : expected) !== version) {
        throw new ConcurrencyError(streamId, expected, version);
      }
      const decided = decider.decide(command, state);
      let result: CommandResult<State, E> = { events: [], state, version };
      if (decided.length > 0) {
        // stamped here so that the events projected now and the ones a rebuild reads agree
        const occurredAt = opts.occurredAt ?? clock.now();
        // ids chosen here, so that after a lost COMMIT the log can say whether these were stored
        const events = decided.map((event): NewEvent<E> => ({ ...event, id: randomUUID(), occurredAt }));
        // and the transaction's id, whose status the server keeps: after a lost COMMIT it tells
        // "still committing" from "rolled back" (the events are not visible until it commits);
        // in the caller's transaction the COMMIT is the caller's
        if (!opts.transaction) {
          const { rows } = await sql<{ xid: string }>`${sql.raw(PREPARED)}select pg_current_xact_id()::text as xid`.execute(trx);
          pending.xid = rows[0]!.xid;
        }
        const appended = await store.append(streamId, events, { expectedVersion: version, metadata: opts.metadata ?? {}, transaction: trx });
        const recorded = recordedEvents(events, appended, occurredAt, opts.metadata);
        for (const event of recorded) {
          for (const p of projections) if (handled.get(p)!.has(event.type)) await p.evolve(trx, event);
        }
        result = { events: recorded, state: decided.reduce(decider.evolve, state), version: appended.nextExpectedVersion };
      }
      if (opts.after) await opts.after(trx, result);
      pending.result = result;
      return result;
    });
  }

  /**
   * After a COMMIT whose answer was lost: the result if the transaction did commit, undefined if
   * it did not; throws when that cannot be told. The server may still be committing it (its
   * session lives on until it notices the lost socket; a synchronous standby may not have
   * confirmed yet), and until then its events are not visible: so the transaction's status is
   * asked for, and waited on while it is in progress (within the retry policy's time). Committed
   * and its events in the log: done. Aborted: not done, to be tried again. Anything else (not
   * known after a failover to a server that never saw it, still running, a status that does not
   * match the log) decides nothing.
   */
  async function committed(pending: Pending): Promise<CommandResult<State, E> | undefined> {
    const { result, xid } = pending;
    if (!result || result.events.length === 0 || xid === undefined) throw new Error('a command without events leaves nothing to look for');
    const deadline = Date.now() + (options.retryPolicy ?? FAILOVER_RETRY).maxElapsedMs;
    for (;;) {
      const { rows } = await sql<{ status: string | null }>`select pg_xact_status(${xid}::xid8) as status`.execute(db);
      const status = rows[0]?.status ?? null;
      if (status === 'aborted') return undefined;
      if (status === 'committed') {
        // the id is this transaction's only if the log agrees (a new primary may reuse an id it never saw)
        if ((await store.countStored(result.events.map((e) => e.id))) > 0) return result;
        throw new Error(`transaction ${xid} committed, but not with this command's events`);
      }
      if (status !== 'in progress' || Date.now() >= deadline) throw new Error(`transaction ${xid} is ${status ?? 'unknown'}`);
      await sleep(COMMIT_POLL_MS);
    }
  }

  return {
    async handle(id, command, opts = {}) {
      const streamId = streamOf(id);
      const retries = opts.expectedVersion === undefined ? (opts.retries ?? 0) : 0;
      let conflicts = 0;
      // A lost connection (a failover) is retried within the policy's time: the transaction did
      // not commit, so reading, deciding and appending again is the same command once. Only a
      // lost COMMIT is ambiguous: the server says whether its transaction committed (committed()).
      // in the caller's transaction, the caller owns its fate: a lost connection is its to retry
      if (opts.transaction) {
        for (;;) {
          try {
            return await attempt(streamId, command, opts, {});
          } catch (err) {
            if (!(err instanceof ConcurrencyError) || conflicts >= retries) throw err;
            conflicts++;
          }
        }
      }
      return withRetries(
        async () => {
          for (;;) {
            const pending: Pending = {};
            try {
              return await attempt(streamId, command, opts, pending);
            } catch (err) {
              if (err instanceof CommitOutcomeUnknownError) {
                let done: CommandResult<State, E> | undefined;
                try {
                  done = await committed(pending);
                } catch {
                  // still unknown: never decided again (it may have been done); the caller hears 503
                  throw err;
                }
                if (done) return done;
                // not committed: as if the connection had been lost before the COMMIT
                throw err.cause;
              }
              if (!(err instanceof ConcurrencyError) || conflicts >= retries) throw err;
              conflicts++;
            }
          }
        },
        {
          ...(options.retryPolicy ? { policy: options.retryPolicy } : {}),
          retryable: (err) => isConnectionError(err) && !(err instanceof CommitOutcomeUnknownError),
        },
      );
    },

    load(id) {
      return store.aggregateStream(streamOf(id), decider.evolve, decider.initialState);
    },

    async rebuild(p, options = {}) {
      if (!handled.has(p)) throw new Error(`projection ${p.name} is not one of this handler's`);
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey(p)}, 0))`.execute(trx);
        if (options.onlyIf && !(await options.onlyIf(trx))) return 0;
        await p.reset(trx);
        let cursor = LOG_START;
        let replayed = 0;
        for (;;) {
          const batch = await store.readCommitted<E, DB>(p.handles, cursor, REPLAY_BATCH, trx);
          for (const event of batch) await p.evolve(trx, event);
          replayed += batch.length;
          const last = batch.at(-1);
          if (!last || batch.length < REPLAY_BATCH) return replayed;
          cursor = cursorOf(last);
        }
      });
    },
  };
}

/** The events an append stored, as a reader of the log gets them: what the projections are given. */
function recordedEvents<E extends DomainEvent>(
  events: readonly NewEvent<E>[],
  result: AppendResult,
  occurredAt: Date,
  metadata: EventMetadata = {},
): RecordedEvent<E>[] {
  return events.map((event, i) => {
    const stored = result.events[i];
    if (!stored) throw new Error(`append of ${result.streamId} returned ${result.events.length} events for ${events.length}`);
    return {
      ...event,
      id: stored.id,
      schemaVersion: event.schemaVersion ?? 1,
      streamId: result.streamId,
      streamVersion: stored.streamVersion,
      globalPosition: stored.globalPosition,
      transactionId: stored.transactionId,
      occurredAt,
      metadata: { ...metadata, ...event.metadata },
    };
  });
}
