import { createHash, randomUUID } from 'node:crypto';
import { Kysely, type PostgresPool, type PostgresPoolClient, type RawBuilder, type Transaction, sql } from 'kysely';
import type pg from 'pg';
import { ConcurrencyError, DuplicateEventError } from './errors.js';
import { assertSchemaName, migrateEventStore } from './migrate.js';
import { type ResilienceOptions, ResilientPostgresDialect } from './resilient-driver.js';
import { withRetries } from './transient.js';
import {
  type AppendResult,
  type DomainEvent,
  type EventMetadata,
  type Evolve,
  type ExpectedVersion,
  LOG_START,
  type LogCursor,
  type NewEvent,
  type RecordedEvent,
} from './types.js';

/** Anything kysely can run a query on: the pool-backed instance or an open transaction. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the store's tables live in a schema chosen at run time
export type Executor = Kysely<any> | Transaction<any>;

export interface EventStoreOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Executor
  db: Kysely<any>;
  /** The Postgres schema that holds this service's events, e.g. `files`. */
  schema: string;
  /**
   * Send a NOTIFY with each append so relays in other processes wake at once (default false).
   * Postgres serialises the commits of notifying transactions (a cluster-wide lock held through
   * the commit's flush), which cost 8 concurrent writers about half their throughput in the
   * bench; without it relays in other processes find new events by polling, and those of this
   * process are woken directly.
   */
  notify?: boolean;
}

export interface AppendOptions<DB = unknown> {
  expectedVersion: ExpectedVersion;
  /** Merged under each event's own metadata (actor, correlation id...). */
  metadata?: EventMetadata;
  /**
   * Append inside the caller's transaction (to write other rows atomically with the events).
   * Without it the append is one statement, hence one transaction of its own. Any database type
   * will do: the store names its own tables.
   */
  transaction?: Transaction<DB>;
}

export interface ReadStreamOptions<DB = unknown> {
  /** First version to read (default 1). */
  fromVersion?: number;
  /** Read inside the caller's transaction (a command reads, decides and appends in one). */
  transaction?: Transaction<DB>;
}

interface EventRow {
  event_id: string;
  global_position: string;
  tx_order: string;
  stream_id: string;
  stream_version: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: Date;
}

const MAX_BATCH = 5_000;

const EVENT_COLUMNS = sql.raw(
  'event_id, global_position, tx_order, stream_id, stream_version, type, schema_version, data, metadata, occurred_at',
);

function toRecorded<E extends DomainEvent>(row: EventRow): RecordedEvent<E> {
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    globalPosition: Number(row.global_position),
    transactionId: row.tx_order,
    occurredAt: row.occurred_at,
    data: row.data,
    metadata: row.metadata,
  } as RecordedEvent<E>;
}

/**
 * Statements of the store that start with this comment run as named prepared statements on the
 * connections of `kyselyFromPool`: Postgres parses and plans them once per connection instead of on
 * every call (planning was about a third of a single-event append). Other queries pass through.
 * Through a pooler in transaction mode (PgBouncer before 1.21, or without max_prepared_statements)
 * a named statement prepared in one transaction is on a server connection the next one may not
 * get: there `namedStatements: false` runs them unnamed, as every other query.
 */
export const PREPARED = '/*strata-es:prepared*/ ';

const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    // a name per text: pg refuses one name for two texts on a connection; schemas differ in text
    name = `strata_es_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}

function preparingClient(client: pg.PoolClient): PostgresPoolClient {
  return {
    query(textOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
      if (typeof textOrCursor === 'string' && textOrCursor.startsWith(PREPARED)) {
        return client.query({ name: statementName(textOrCursor), text: textOrCursor, values: [...(parameters ?? [])] });
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pass kysely's call through unchanged
      return (client.query as (...args: any[]) => unknown)(textOrCursor, parameters);
    },
    release: (destroy?: boolean) => client.release(destroy),
  } as PostgresPoolClient;
}

/** A kysely instance over an existing pg pool (services get theirs from service-kit as `app.pg`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Executor
export function kyselyFromPool(pool: pg.Pool, options: { namedStatements?: boolean } & ResilienceOptions = {}): Kysely<any> {
  const { namedStatements, ...resilience } = options;
  // connections are got, and reads outside transactions run, again after a lost connection
  // (resilient-driver.ts); transactions are the caller's to retry
  if (namedStatements === false) return new Kysely({ dialect: new ResilientPostgresDialect({ pool }, resilience) });
  const preparing: PostgresPool = {
    connect: async () => preparingClient(await pool.connect()),
    end: () => pool.end(),
  };
  return new Kysely({ dialect: new ResilientPostgresDialect({ pool: preparing }, resilience) });
}

export function notifyChannel(schema: string): string {
  return `strata_events_${schema}`;
}

type AppendedListener = (result: AppendResult) => void;

/**
 * Streams of events in one Postgres schema. Appends check an expected version atomically; reads
 * go by stream or through the global log (see README for the log's ordering rule).
 */
export class EventStore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Executor
  readonly db: Kysely<any>;
  readonly schema: string;
  readonly channel: string;
  private readonly notify: boolean;
  private readonly listeners = new Set<AppendedListener>();

  constructor(options: EventStoreOptions) {
    assertSchemaName(options.schema);
    this.db = options.db;
    this.schema = options.schema;
    this.notify = options.notify ?? false;
    this.channel = notifyChannel(options.schema);
  }

  /**
   * Runs the store's migrations (under a session advisory lock), then returns the store.
   * `migrateOn`: where the migrations run when `db` goes through a pooler in transaction mode,
   * whose clients share server sessions and so each other's session locks: a direct connection.
   */
  static async open(options: EventStoreOptions, migrateOn?: { db: Kysely<unknown> }): Promise<EventStore> {
    await migrateEventStore(migrateOn?.db ?? options.db, options.schema);
    return new EventStore(options);
  }

  table(name: 'events' | 'checkpoints'): RawBuilder<unknown> {
    return sql.id(this.schema, name);
  }

  /** Called after each append of this process has committed (in-process relays and subscriptions wake on it). */
  onAppended(listener: AppendedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitAppended(result: AppendResult): void {
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch {
        // a listener's failure is its own business; the append has committed
      }
    }
  }

  async append<E extends DomainEvent, DB = unknown>(
    streamId: string,
    events: readonly NewEvent<E>[],
    options: AppendOptions<DB>,
  ): Promise<AppendResult> {
    if (streamId === '') throw new Error('streamId must not be empty');
    const { expectedVersion } = options;
    if (typeof expectedVersion === 'number' && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
      throw new Error(`expectedVersion must be a non-negative integer, 'no_stream' or 'any'`);
    }
    const executor: Executor = options.transaction ?? this.db;
    if (events.length === 0) return this.appendNothing(streamId, expectedVersion, executor);
    // seven parameters an event, and Postgres takes at most 65,535 in one statement
    if (events.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} events in one append`);

    const now = new Date();
    const ids = events.map((e) => e.id ?? randomUUID());
    const count = events.length;
    const batch = {
      ids,
      types: events.map((e) => e.type),
      schemaVersions: events.map((e) => e.schemaVersion ?? 1),
      data: events.map((e) => JSON.stringify(e.data ?? null)),
      metadata: events.map((e) => JSON.stringify({ ...options.metadata, ...e.metadata })),
      occurredAt: events.map((e) => e.occurredAt ?? now),
    };

    // 'any' numbers the events after the stream's last one and tries again when a concurrent
    // writer took that number first (bounded: under REPEATABLE READ the snapshot never moves)
    for (let attempt = 0; ; attempt++) {
      try {
        const statement = this.appendStatement(streamId, expectedVersion, count, batch);
        // alone, the statement is its own transaction and the ids make it idempotent: after a lost
        // connection it runs again, and if the first one did commit, the ids explain it below
        const rows = options.transaction ? await statement.execute(executor) : await withRetries(() => statement.execute(executor));
        if (rows.rows.length === count) {
          const inserted = count === 1 ? rows.rows : [...rows.rows].sort((a, b) => Number(a.stream_version) - Number(b.stream_version));
          const result: AppendResult = {
            streamId,
            nextExpectedVersion: Number(inserted[count - 1]!.stream_version),
            events: inserted.map((r) => ({
              id: r.event_id,
              streamVersion: Number(r.stream_version),
              globalPosition: Number(r.global_position),
              transactionId: r.tx_order,
            })),
            duplicate: false,
          };
          // inside the caller's transaction nothing is committed yet: the caller's commit is the
          // signal, and the NOTIFY (sent at commit) or polling covers it
          if (!options.transaction) this.emitAppended(result);
          return result;
        }
        if (rows.rows.length !== 0) throw new Error(`append to ${streamId}: ${rows.rows.length} of ${count} events stored`);
      } catch (err) {
        if (isUniqueViolation(err, 'events_stream_version_key')) {
          // a later event of the batch met a number taken meanwhile; the statement stored nothing
          if (options.transaction) throw new ConcurrencyError(streamId, expectedVersion, -1);
        } else {
          if (!isUniqueViolation(err, 'events_pkey')) throw err;
          // the same event id is stored already; in the caller's transaction Postgres has aborted it,
          // so only the caller's retry (in a new transaction) can find the original result
          if (options.transaction) throw new DuplicateEventError(streamId, ids);
        }
      }
      // the stream was not as expected, or some ids are stored: a retry of an append that went
      // through gets its original result back, anything else is a conflict
      const retry = expectedVersion === 'any' && attempt < 100;
      const explained = await this.explainRejectedAppend(streamId, expectedVersion, ids, executor, retry);
      if (explained) return explained;
    }
  }

  /**
   * One statement, hence one transaction when run alone. The first event takes the number after
   * the stream's previous event, found by the expectation (none for a new stream, version N, or the
   * last one for 'any'); `on conflict (stream_id, stream_version) do nothing` makes it wait for a
   * concurrent writer of that number and store nothing if that writer commits, so of writers
   * expecting the same version exactly one stores its event and the others get no row back. The
   * rest of a batch is inserted only after the first event was, numbered after it. The ordering
   * transaction id is `greatest(own id, previous event's)` (README).
   */
  private appendStatement(
    streamId: string,
    expected: ExpectedVersion,
    count: number,
    batch: { ids: string[]; types: string[]; schemaVersions: number[]; data: string[]; metadata: string[]; occurredAt: Date[] },
  ): RawBuilder<{ event_id: string; stream_version: string; global_position: string; tx_order: string }> {
    const events = this.table('events');
    let previous: RawBuilder<unknown>;
    if (expected === 'no_stream' || expected === 0) {
      previous = sql`select 1::bigint as version, pg_current_xact_id() as tx_order`;
    } else if (expected === 'any') {
      previous = sql`select coalesce(last.stream_version, 0) + 1 as version, greatest(pg_current_xact_id(), last.tx_order) as tx_order
        from (select) as one left join lateral (
          select stream_version, tx_order from ${events} where stream_id = ${streamId} order by stream_version desc limit 1
        ) as last on true`;
    } else {
      previous = sql`select p.stream_version + 1 as version, greatest(pg_current_xact_id(), p.tx_order) as tx_order
        from ${events} as p where p.stream_id = ${streamId} and p.stream_version = ${expected}::bigint`;
    }
    const notify = this.notify ? sql`, pg_notify(${this.channel}, '')` : sql``;
    const columns = sql`(event_id, tx_order, stream_id, stream_version, type, schema_version, data, metadata, occurred_at)`;
    const first = sql`insert into ${events} ${columns}
      select ${batch.ids[0]}::uuid, p.tx_order, ${streamId}, p.version, ${batch.types[0]}, ${batch.schemaVersions[0]}::int,
             ${batch.data[0]}::jsonb, ${batch.metadata[0]}::jsonb, ${batch.occurredAt[0]}::timestamptz
      from (${previous}) as p
      on conflict (stream_id, stream_version) do nothing`;
    if (count === 1) {
      // the common case: one INSERT, prepared once per connection (see PREPARED)
      return sql`${sql.raw(PREPARED)}${first}
      returning event_id, stream_version, global_position, tx_order::text as tx_order${notify}`;
    }
    // one VALUES row of scalar parameters per further event: Postgres parses these far faster than
    // arrays through unnest; positions are drawn as rows arrive from VALUES, in version order, and
    // after the first event's (the rest needs its row)
    const rows = batch.ids.slice(1).map(
      (id, j) =>
        sql`(${id}::uuid, ${batch.types[j + 1]}::text, ${batch.schemaVersions[j + 1]}::int, ${batch.data[j + 1]}::jsonb, ${batch.metadata[j + 1]}::jsonb, ${batch.occurredAt[j + 1]}::timestamptz, ${j + 1}::bigint)`,
    );
    return sql`with first as (${first} returning event_id, stream_version, global_position, tx_order${notify}),
      rest as (
        insert into ${events} ${columns}
        select e.id, first.tx_order, ${streamId}, first.stream_version + e.n, e.type, e.schema_version, e.data, e.metadata, e.occurred_at
        from first, (values ${sql.join(rows)}) as e(id, type, schema_version, data, metadata, occurred_at, n)
        returning event_id, stream_version, global_position, tx_order
      )
      select event_id, stream_version, global_position, tx_order::text as tx_order from first
      union all
      select event_id, stream_version, global_position, tx_order::text as tx_order from rest`;
  }

  private async appendNothing(streamId: string, expected: ExpectedVersion, executor: Executor): Promise<AppendResult> {
    const actual = await this.streamVersion(streamId, executor);
    const ok = expected === 'any' || (expected === 'no_stream' ? actual === 0 : actual === expected);
    if (!ok) throw new ConcurrencyError(streamId, expected, actual);
    return { streamId, nextExpectedVersion: actual, events: [], duplicate: false };
  }

  private async explainRejectedAppend(
    streamId: string,
    expected: ExpectedVersion,
    ids: string[],
    executor: Executor,
    retry = false,
  ): Promise<AppendResult | undefined> {
    const found = await sql<{ event_id: string; stream_id: string; stream_version: string; global_position: string; tx_order: string }>`
      select event_id, stream_id, stream_version, global_position, tx_order::text as tx_order
      from ${this.table('events')} where event_id = any(${ids}::uuid[]) order by stream_version`.execute(executor);
    if (found.rows.length > 0) {
      const sameAppend =
        found.rows.length === ids.length &&
        found.rows.every((r, i) => r.stream_id === streamId && r.event_id === ids[i]);
      if (!sameAppend) throw new DuplicateEventError(streamId, found.rows.map((r) => r.event_id));
      return {
        streamId,
        nextExpectedVersion: Number(found.rows[found.rows.length - 1]!.stream_version),
        events: found.rows.map((r) => ({
          id: r.event_id,
          streamVersion: Number(r.stream_version),
          globalPosition: Number(r.global_position),
          transactionId: r.tx_order,
        })),
        duplicate: true,
      };
    }
    if (retry) return undefined;
    throw new ConcurrencyError(streamId, expected, await this.streamVersion(streamId, executor));
  }

  /**
   * How many of these event ids the log holds: after a commit whose answer was lost, whether it
   * committed (a transaction stores all of its events or none). A read, retried across a failover.
   */
  async countStored(eventIds: readonly string[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from ${this.table('events')} where event_id = any(${[...eventIds]}::uuid[])`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /** The stream's version: how many events it holds (0 when it does not exist). */
  async streamVersion(streamId: string, executor: Executor = this.db): Promise<number> {
    const { rows } = await sql<{ version: string }>`${sql.raw(PREPARED)}
      select stream_version as version from ${this.table('events')} where stream_id = ${streamId}
      order by stream_version desc limit 1`.execute(executor);
    return rows[0] ? Number(rows[0].version) : 0;
  }

  async readStream<E extends DomainEvent = DomainEvent, DB = unknown>(
    streamId: string,
    options: ReadStreamOptions<DB> = {},
  ): Promise<RecordedEvent<E>[]> {
    const executor: Executor = options.transaction ?? this.db;
    const { rows } = await sql<EventRow>`${sql.raw(PREPARED)}
      select ${EVENT_COLUMNS} from ${this.table('events')}
      where stream_id = ${streamId} and stream_version >= ${options.fromVersion ?? 1}::bigint
      order by stream_version`.execute(executor);
    return rows.map((row) => toRecorded<E>(row));
  }

  /** Folds a stream through a pure `evolve`; `version` is what the next append should expect. */
  async aggregateStream<State, E extends DomainEvent, DB = unknown>(
    streamId: string,
    evolve: Evolve<State, RecordedEvent<E>>,
    initialState: State,
    options: ReadStreamOptions<DB> = {},
  ): Promise<{ state: State; version: number }> {
    const events = await this.readStream<E, DB>(streamId, options);
    let state = initialState;
    for (const event of events) state = evolve(state, event);
    return { state, version: events.at(-1)?.streamVersion ?? 0 };
  }

  /**
   * Up to `limit` events of the global log after `after`, in (transactionId, position) order,
   * only from transactions older than every transaction still running: those are final, so a
   * reader advancing its cursor over them never skips an event that commits later (README).
   * Must not run inside a transaction that has written: its own id would hold the horizon back.
   */
  async readAll<E extends DomainEvent = DomainEvent>(
    after: LogCursor = LOG_START,
    limit = 500,
  ): Promise<{ events: RecordedEvent<E>[]; cursor: LogCursor }> {
    const { rows } = await sql<EventRow>`
      select ${EVENT_COLUMNS} from ${this.table('events')}
      where (tx_order, global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
        and tx_order < pg_snapshot_xmin(pg_current_snapshot())
      order by tx_order, global_position
      limit ${limit}`.execute(this.db);
    const events = rows.map((row) => toRecorded<E>(row));
    const last = events.at(-1);
    return { events, cursor: last ? { transactionId: last.transactionId, position: last.globalPosition } : after };
  }
  /**
   * How far the committed log is ahead of a reader at `after` (a relay's checkpoint): how many
   * events (counted up to `cap`, so a huge backlog costs a bounded read) and when the first of them
   * occurred, for its lag. Nothing pending: 0 and undefined.
   */
  async backlog(after: LogCursor, cap = 100_000): Promise<{ events: number; oldest: Date | undefined }> {
    const { rows } = await sql<{ n: string; oldest: Date | null }>`
      select count(*) as n, min(occurred_at) as oldest from (
        select occurred_at from ${this.table('events')}
        where (tx_order, global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
          and tx_order < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_order, global_position
        limit ${cap}) pending`.execute(this.db);
    const row = rows[0];
    return { events: Number(row?.n ?? 0), oldest: row?.oldest ? new Date(row.oldest) : undefined };
  }
  /**
   * Every committed event of these types after `after`, in log order, read in the caller's
   * transaction with no horizon: only for a reader that holds back every writer of these types
   * while it reads (a projection's rebuild under its lock), so that no event can still commit
   * before the cursor.
   */
  async readCommitted<E extends DomainEvent = DomainEvent, DB = unknown>(
    types: readonly string[],
    after: LogCursor,
    limit: number,
    transaction: Transaction<DB>,
  ): Promise<RecordedEvent<E>[]> {
    const { rows } = await sql<EventRow>`
      select ${EVENT_COLUMNS} from ${this.table('events')}
      where (tx_order, global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
        and type = any(${types}::text[])
      order by tx_order, global_position
      limit ${limit}`.execute(transaction);
    return rows.map((row) => toRecorded<E>(row));
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === '23505' &&
    (err as { constraint?: unknown }).constraint === constraint
  );
}
