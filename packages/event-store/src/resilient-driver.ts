import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
  PostgresDialect,
  type PostgresDialectConfig,
} from 'kysely';
import { CommitOutcomeUnknownError, type RetryPolicy, isConnectionError, withRetries } from './transient.js';

/**
 * Whether a statement only reads, so that running it again on a new connection is harmless: a
 * query built as a SELECT, or raw SQL that starts with `select` (after comments) and calls no
 * function that changes something (locks, notifications, sequences) and locks no row.
 */
export function isReadOnlyStatement(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (kind !== 'SelectQueryNode' && kind !== 'RawNode') return false;
  const text = query.sql.replace(/^(\s*\/\*[\s\S]*?\*\/)*\s*/, '');
  if (!/^select\b/i.test(text)) return false;
  return !/\b(pg_advisory\w*|pg_try_advisory\w*|pg_notify|nextval|setval|pg_terminate_backend|pg_cancel_backend|set_config|txid_current|pg_current_xact_id)\s*\(|\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i.test(text);
}

/**
 * A connection of the resilient driver: it remembers whether a transaction is open on it, and
 * outside one it runs a read again on a fresh connection when the one it had was lost.
 */
class ResilientConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(
    private readonly driver: ResilientDriver,
    public inner: DatabaseConnection,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction || !isReadOnlyStatement(query)) return this.inner.executeQuery<R>(query);
    return withRetries(
      async (attempt) => {
        if (attempt > 0) this.inner = await this.driver.replace(this.inner);
        return this.inner.executeQuery<R>(query);
      },
      { policy: this.driver.policy, onRetry: this.driver.onRetry },
    );
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * Kysely's Postgres driver, made to ride out a lost connection (a failover, a restart,
 * pg_terminate_backend) where that is safe:
 * - getting a connection is retried (nothing has been sent yet);
 * - a read outside a transaction is retried on a new connection;
 * - a transaction is never replayed here (the caller decides: the command handler retries whole
 *   commands), but a COMMIT whose answer was lost becomes CommitOutcomeUnknownError, and a
 *   ROLLBACK on a dead connection is not an error (the server rolls back a session it lost), so
 *   the caller sees the failure that mattered.
 */
class ResilientDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    readonly policy: RetryPolicy | undefined,
    readonly onRetry: ((error: unknown, retry: number, delayMs: number) => void) | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  private acquireInner(): Promise<DatabaseConnection> {
    return withRetries(() => this.inner.acquireConnection(), { policy: this.policy, onRetry: this.onRetry });
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ResilientConnection(this, await this.acquireInner());
  }

  /** Gives back a connection that failed (the pool drops a broken client) and gets another. */
  async replace(broken: DatabaseConnection): Promise<DatabaseConnection> {
    await this.inner.releaseConnection(broken).catch(() => undefined);
    return this.acquireInner();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as ResilientConnection;
    await this.inner.beginTransaction(c.inner, settings);
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as ResilientConnection;
    try {
      await this.inner.commitTransaction(c.inner);
    } catch (error) {
      if (isConnectionError(error)) throw new CommitOutcomeUnknownError(error);
      throw error;
    } finally {
      c.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as ResilientConnection;
    try {
      await this.inner.rollbackTransaction(c.inner);
    } catch (error) {
      // the session is gone, and its transaction with it; the pool drops the client on release
      if (!isConnectionError(error)) throw error;
    } finally {
      c.inTransaction = false;
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.savepoint!((connection as ResilientConnection).inner, name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.rollbackToSavepoint!((connection as ResilientConnection).inner, name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.releaseSavepoint!((connection as ResilientConnection).inner, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as ResilientConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export interface ResilienceOptions {
  /** How long reads and connection attempts keep trying (default FAILOVER_RETRY: up to 5 s). */
  retryPolicy?: RetryPolicy;
  /** Told before each retry. */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/** Kysely's PostgresDialect with the resilient driver above. */
export class ResilientPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly resilience: ResilienceOptions = {},
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new ResilientDriver(super.createDriver(), this.resilience.retryPolicy, this.resilience.onRetry);
  }
}
