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
 * What may be called, or written before a parenthesis, in a statement that is run again: SQL's
 * own words, and functions known to change nothing. Anything else (a function of the
 * application's, `pg_advisory_lock`, `nextval`, `set_config`, `pg_current_xact_id`, a type with
 * a modifier) makes the statement one that is not repeated: an allow-list, so that a function not
 * thought of is never repeated by mistake.
 */
const READ_ONLY_CALLS = new Set([
  // SQL words a parenthesis can follow
  'select', 'from', 'where', 'and', 'or', 'not', 'in', 'as', 'on', 'using', 'join', 'exists', 'values', 'over', 'filter',
  'within', 'cast', 'array', 'row', 'case', 'when', 'then', 'else', 'by', 'union', 'intersect', 'except', 'all', 'any',
  'some', 'distinct', 'lateral', 'is', 'between', 'like', 'ilike', 'with', 'limit', 'offset', 'having',
  // functions that read or compute only
  'count', 'sum', 'min', 'max', 'avg', 'coalesce', 'nullif', 'greatest', 'least', 'lower', 'upper', 'length', 'char_length',
  'octet_length', 'array_agg', 'array_length', 'cardinality', 'unnest', 'string_agg', 'bool_and', 'bool_or', 'json_agg',
  'jsonb_agg', 'json_build_object', 'jsonb_build_object', 'jsonb_object_agg', 'to_json', 'to_jsonb', 'row_to_json',
  'jsonb_array_length', 'jsonb_array_elements', 'jsonb_typeof', 'row_number', 'rank', 'dense_rank', 'lag', 'lead',
  'abs', 'round', 'floor', 'ceil', 'extract', 'date_trunc', 'date_part', 'now', 'to_char', 'concat', 'substring', 'trim',
  'replace', 'split_part', 'position', 'left', 'right', 'starts_with', 'md5', 'encode', 'decode',
  'pg_snapshot_xmin', 'pg_current_snapshot', 'pg_xact_status', 'pg_backend_pid',
]);

/** The names a parenthesis follows in `sql`; a quoted or schema-qualified one is never allowed. */
function calledNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/(\.\s*)?(?:"((?:[^"]|"")*)"|\b([a-z_][\w$]*))\s*\(/gi)) {
    names.push(m[1] !== undefined || m[3] === undefined ? `"${m[0]}"` : m[3].toLowerCase());
  }
  return names;
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/** Whether Kysely's operation tree holds a write anywhere (a data-modifying CTE, a subquery). */
function holdsWrite(node: unknown, depth = 0): boolean {
  if (typeof node !== 'object' || node === null || depth > 64) return false;
  if (Array.isArray(node)) return node.some((n) => holdsWrite(n, depth + 1));
  const kind = (node as { kind?: unknown }).kind;
  if (typeof kind === 'string' && WRITE_NODES.has(kind)) return true;
  return Object.values(node).some((v) => holdsWrite(v, depth + 1));
}

/**
 * Whether a statement only reads, so that running it again on a new connection is harmless: a
 * SELECT (built by Kysely with no write in it, or raw SQL starting with `select` after comments)
 * that calls nothing but the SQL words and read-only functions of READ_ONLY_CALLS and locks no row.
 * A select of a function that writes (`select insights.refresh_search_docs(...)`), or a `with`
 * that inserts, is not one.
 */
export function isReadOnlyStatement(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (kind !== 'SelectQueryNode' && kind !== 'RawNode') return false;
  if (holdsWrite(query.query)) return false;
  const text = query.sql.replace(/^(\s*\/\*[\s\S]*?\*\/)*\s*/, '');
  // a Kysely select may start with its (read-only, checked above) common table expressions
  if (!/^select\b/i.test(text) && !(kind === 'SelectQueryNode' && /^with\b/i.test(text))) return false;
  if (/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i.test(text)) return false;
  return calledNames(text).every((name) => READ_ONLY_CALLS.has(name));
}

/**
 * A connection of the resilient driver: it remembers whether a transaction is open on it, and
 * outside one it runs a read again on a fresh connection when the one it had was lost. Once it has
 * run anything but a read (a session advisory lock, a SET, a write), its session holds something a
 * fresh connection would not: it is pinned, and nothing on it is moved to another connection
 * (migrateEventStore's reads under its session lock stay under it, or fail).
 */
class ResilientConnection implements DatabaseConnection {
  inTransaction = false;
  pinned = false;

  constructor(
    private readonly driver: ResilientDriver,
    public inner: DatabaseConnection,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const read = isReadOnlyStatement(query);
    if (!read) this.pinned = true;
    if (this.inTransaction || this.pinned) return this.inner.executeQuery<R>(query);
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
