import pg from 'pg';
import { type DomainEvent, LOG_START, type LogCursor, type RecordedEvent } from './types.js';
import type { EventStore } from './store.js';
import { IdleBackoff, Waker } from './waker.js';

/** Hands a batch of events, in global-log order, to the outside world. */
export interface Publisher<E extends DomainEvent = DomainEvent> {
  /** Resolve only once every event is accepted; reject to have the whole batch retried. */
  publish(events: readonly RecordedEvent<E>[]): Promise<void>;
}

export type RelayState = 'starting' | 'standby' | 'leader' | 'stopped';

export interface RelayOptions<E extends DomainEvent = DomainEvent> {
  store: EventStore;
  /** Gets the log's events as the service's own domain events (the store's schema holds no others). */
  publisher: Publisher<E>;
  /**
   * The relay's own connection (not from the pool): it holds the session advisory lock that makes
   * one replica the relay, LISTENs, and writes the checkpoint, so a relay that lost its lock cannot
   * move the checkpoint.
   */
  connection: string | pg.ClientConfig;
  /** Names the checkpoint and the lock; one relay per name and schema runs at a time (default 'relay'). */
  name?: string;
  batchSize?: number;
  /** Ceiling of the poll interval while idle; NOTIFY and in-process appends wake it sooner (default 50 ms). */
  maxIdleMs?: number;
  /** How often a standby replica tries to take the lock (default 1 s). */
  leaderRetryMs?: number;
  onError?: (err: unknown) => void;
  onStateChange?: (state: RelayState) => void;
}

/**
 * Publishes committed events in global-log order, at least once: the checkpoint is saved after a
 * batch is accepted, so a crash in between republishes that batch (duplicates, never losses).
 */
export class Relay<E extends DomainEvent = DomainEvent> {
  private readonly name: string;
  private readonly batchSize: number;
  private readonly maxIdleMs: number;
  private readonly leaderRetryMs: number;
  private readonly waker = new Waker();
  private client: pg.Client | undefined;
  private connectionLost = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private currentState: RelayState = 'starting';
  private checkpoint: LogCursor = LOG_START;

  constructor(private readonly options: RelayOptions<E>) {
    this.name = options.name ?? 'relay';
    this.batchSize = options.batchSize ?? 500;
    this.maxIdleMs = options.maxIdleMs ?? 50;
    this.leaderRetryMs = options.leaderRetryMs ?? 1_000;
  }

  get state(): RelayState {
    return this.currentState;
  }

  /** The last checkpoint this relay saved or loaded. */
  get cursor(): LogCursor {
    return this.checkpoint;
  }

  start(): void {
    if (this.loop) return;
    this.unsubscribe = this.options.store.onAppended(() => this.waker.wake());
    this.loop = this.run();
  }

  /** Finishes the batch in hand, releases the lock (by closing the connection) and returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.loop;
    this.unsubscribe?.();
    this.setState('stopped');
  }

  private setState(state: RelayState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.options.onStateChange?.(state);
  }

  private reportError(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // reporting must not stop the relay
    }
  }

  private async run(): Promise<void> {
    const errorBackoff = new IdleBackoff(100, 5_000);
    while (!this.stopping) {
      try {
        if (!(await this.becomeLeader())) {
          this.setState('standby');
          await this.waker.sleep(this.leaderRetryMs);
          continue;
        }
        this.setState('leader');
        await this.relayWhileLeader(errorBackoff);
      } catch (err) {
        this.reportError(err);
        await this.waker.sleep(errorBackoff.next());
      }
    }
    await this.closeConnection();
  }

  private async becomeLeader(): Promise<boolean> {
    if (this.connectionLost) await this.closeConnection();
    if (!this.client) {
      const config = typeof this.options.connection === 'string' ? { connectionString: this.options.connection } : this.options.connection;
      // keepAlive lets Postgres and us notice a dead peer, so a vanished leader's lock is freed
      const client = new pg.Client({ application_name: `strata-relay-${this.name}`, keepAlive: true, ...config });
      client.on('error', (err) => {
        this.connectionLost = true;
        this.reportError(err);
        this.waker.wake();
      });
      client.on('end', () => {
        this.connectionLost = true;
        this.waker.wake();
      });
      client.on('notification', () => this.waker.wake());
      this.connectionLost = false;
      this.client = client;
      await client.connect();
    }
    const { rows } = await this.client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock(hashtextextended($1, 0)) as locked',
      [this.lockKey()],
    );
    if (!rows[0]?.locked) return false;
    await this.client.query(`listen "${this.options.store.channel}"`);
    return true;
  }

  private lockKey(): string {
    return `strata.event-store.relay.${this.options.store.schema}.${this.name}`;
  }

  private async relayWhileLeader(errorBackoff: IdleBackoff): Promise<void> {
    const client = this.client!;
    const { store, publisher } = this.options;
    const checkpoints = `"${store.schema}".checkpoints`;
    await client.query(
      `insert into ${checkpoints} (name, tx_order, global_position) values ($1, '0', 0) on conflict (name) do nothing`,
      [this.checkpointName()],
    );
    const saved = await client.query<{ tx_order: string; global_position: string }>(
      `select tx_order::text as tx_order, global_position from ${checkpoints} where name = $1`,
      [this.checkpointName()],
    );
    const row = saved.rows[0]!;
    this.checkpoint = { transactionId: row.tx_order, position: Number(row.global_position) };

    const idle = new IdleBackoff(1, this.maxIdleMs);
    while (!this.stopping && !this.connectionLost) {
      const { events, cursor } = await store.readAll<E>(this.checkpoint, this.batchSize);
      if (events.length === 0) {
        await this.waker.sleep(idle.next());
        continue;
      }
      idle.reset();
      try {
        await publisher.publish(events);
      } catch (err) {
        // the batch goes out again from the same checkpoint: at least once
        this.reportError(err);
        await this.waker.sleep(errorBackoff.next());
        continue;
      }
      errorBackoff.reset();
      await client.query(
        `update ${checkpoints} set tx_order = $2::xid8, global_position = $3, updated_at = now() where name = $1`,
        [this.checkpointName(), cursor.transactionId, cursor.position],
      );
      this.checkpoint = cursor;
    }
  }

  private checkpointName(): string {
    return `relay:${this.name}`;
  }

  private async closeConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      // ending the session releases the advisory lock; a standby takes over on its next try
      await client.end();
    } catch {
      // already gone
    }
  }
}
