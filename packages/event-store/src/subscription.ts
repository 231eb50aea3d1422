import { type Transaction, sql } from 'kysely';
import { compareCursors } from './log-order.js';
import type { EventStore } from './store.js';
import { type DomainEvent, LOG_START, type LogCursor, type RecordedEvent } from './types.js';
import { IdleBackoff, Waker } from './waker.js';

/** Runs in the same transaction as the checkpoint's move: its writes happen once per event. */
export type BatchHandler<E extends DomainEvent = DomainEvent> = (
  events: readonly RecordedEvent<E>[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller's own read-model tables
  trx: Transaction<any>,
) => Promise<void>;

export interface SubscriptionOptions<E extends DomainEvent = DomainEvent> {
  store: EventStore;
  /** Names the checkpoint: one per consumer. */
  name: string;
  handle: BatchHandler<E>;
  batchSize?: number;
  /** Ceiling of the poll interval while idle (default 250 ms); appends of this process wake it at once. */
  maxIdleMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * An in-process consumer of the global log. Each batch is handled in one transaction that also
 * moves the checkpoint, after locking the checkpoint row and checking it has not moved: so a
 * batch's effects are applied exactly once, even with several replicas or a rebuild running.
 */
export class Subscription<E extends DomainEvent = DomainEvent> {
  readonly name: string;
  private readonly batchSize: number;
  private readonly waker = new Waker();
  private cursor: LogCursor | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: SubscriptionOptions<E>) {
    this.name = options.name;
    this.batchSize = options.batchSize ?? 200;
  }

  private get checkpointName(): string {
    return `subscription:${this.name}`;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.unsubscribe = this.options.store.onAppended(() => this.waker.wake());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.loop;
    this.loop = undefined;
    this.unsubscribe?.();
  }

  /** Handles batches until no more events are visible; returns the checkpoint reached. */
  async catchUp(): Promise<LogCursor> {
    while ((await this.processBatch()) > 0) {
      // keep going
    }
    return this.cursor ?? LOG_START;
  }

  private async run(): Promise<void> {
    const idle = new IdleBackoff(1, this.options.maxIdleMs ?? 250);
    const errors = new IdleBackoff(100, 5_000);
    while (!this.stopping) {
      try {
        const handled = await this.processBatch();
        errors.reset();
        if (handled > 0) idle.reset();
        else await this.waker.sleep(idle.next());
      } catch (err) {
        this.options.onError?.(err);
        await this.waker.sleep(errors.next());
      }
    }
  }

  /** The saved checkpoint (created at the log's start the first time). */
  async loadCheckpoint(): Promise<LogCursor> {
    const { store } = this.options;
    await sql`insert into ${store.table('checkpoints')} (name, tx_order, global_position)
      values (${this.checkpointName}, '0', 0) on conflict (name) do nothing`.execute(store.db);
    const { rows } = await sql<{ tx_order: string; global_position: string }>`
      select tx_order::text as tx_order, global_position from ${store.table('checkpoints')}
      where name = ${this.checkpointName}`.execute(store.db);
    const row = rows[0]!;
    this.cursor = { transactionId: row.tx_order, position: Number(row.global_position) };
    return this.cursor;
  }

  /** Reads and handles one batch; returns how many events it handled (0: nothing new). */
  async processBatch(): Promise<number> {
    const { store } = this.options;
    const from = this.cursor ?? (await this.loadCheckpoint());
    // read outside the handler's transaction: once it has written, its own id would hold back the horizon
    const { events, cursor } = await store.readAll<E>(from, this.batchSize);
    if (events.length === 0) return 0;
    const applied = await store.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ tx_order: string; global_position: string }>`
        select tx_order::text as tx_order, global_position from ${store.table('checkpoints')}
        where name = ${this.checkpointName} for update`.execute(trx);
      const row = rows[0];
      const saved = row ? { transactionId: row.tx_order, position: Number(row.global_position) } : undefined;
      // another replica or a rebuild moved it: this batch is stale, start again from the saved one
      if (!saved || compareCursors(saved, from) !== 0) return false;
      await this.options.handle(events, trx);
      await sql`update ${store.table('checkpoints')}
        set tx_order = ${cursor.transactionId}::xid8, global_position = ${cursor.position}, updated_at = now()
        where name = ${this.checkpointName}`.execute(trx);
      return true;
    });
    if (!applied) {
      await this.loadCheckpoint();
      // report progress so catchUp tries again from the reloaded checkpoint
      return events.length;
    }
    this.cursor = cursor;
    return events.length;
  }
}

/** A read model: how it empties itself, and how it applies events inside the checkpoint's transaction. */
export interface Projection<E extends DomainEvent = DomainEvent> {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller's own read-model tables
  reset(trx: Transaction<any>): Promise<void>;
  handle: BatchHandler<E>;
}

export function projectionSubscription<E extends DomainEvent>(
  store: EventStore,
  projection: Projection<E>,
  options: Omit<SubscriptionOptions<E>, 'store' | 'name' | 'handle'> = {},
): Subscription<E> {
  return new Subscription<E>({ ...options, store, name: `projection:${projection.name}`, handle: projection.handle });
}

/**
 * Empties the read model and replays the whole log into it. The reset and the checkpoint's return
 * to the start commit together; a live subscription of the same projection notices the moved
 * checkpoint and carries on from wherever the rebuild has got to.
 */
export async function rebuildProjection<E extends DomainEvent>(
  store: EventStore,
  projection: Projection<E>,
  options: { batchSize?: number } = {},
): Promise<LogCursor> {
  const subscription = projectionSubscription(store, projection, options);
  const name = `subscription:${subscription.name}`;
  await subscription.loadCheckpoint();
  await store.db.transaction().execute(async (trx) => {
    await sql`select 1 from ${store.table('checkpoints')} where name = ${name} for update`.execute(trx);
    await projection.reset(trx);
    await sql`update ${store.table('checkpoints')} set tx_order = '0', global_position = 0, updated_at = now()
      where name = ${name}`.execute(trx);
  });
  await subscription.loadCheckpoint();
  return subscription.catchUp();
}
