import { setTimeout as sleep } from 'node:timers/promises';

// What a lost Postgres connection looks like, and how long to keep trying across one. A failover
// (Azure Flexible Server HA, a restart, pg_terminate_backend) ends every session at once: the
// sessions see 57P01, the next connections are refused or told the server is starting (57P03)
// for a few seconds, then it answers again. Nothing here is a bug of the caller: they are worth a
// retry when the operation is safe to repeat, and a 503 otherwise.

/** SQLSTATEs of a server that went away or is not taking connections yet. */
const CONNECTION_STATES = new Set([
  '57P01', // admin_shutdown: terminating connection due to administrator command
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the database system is starting up / shutting down
  '53300', // too_many_connections: seen while a failed-over server fills up again
  '25006', // read_only_sql_transaction: a demoted primary, before clients move to the new one
]);

/** Errors of the socket under a client (Node's system error codes). */
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** What pg and pg-pool say, without a code, when the connection under them is gone or never came. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/i, // unexpectedly / due to connection timeout
  /^timeout exceeded when trying to connect/i, // pg-pool: no connection within connectionTimeoutMillis
  /is not queryable/i, // a client that had a connection error, or was closed
  /^terminating connection/i,
  /^the database system is (starting up|shutting down|in recovery mode)/i,
  /^Query read timeout/i,
];

/** Every error a failure is made of: itself, its `cause` chain and an AggregateError's members. */
export function* errorChain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 8) return;
  yield error;
  if (typeof error !== 'object') return;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  if (cause !== undefined && cause !== error) yield* errorChain(cause, depth + 1);
  if (Array.isArray(errors)) for (const member of errors) yield* errorChain(member, depth + 1);
}

/** The connection-class failure in `error` (a code or a message), if it is one. */
export function connectionFailureOf(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (CONNECTION_STATES.has(code) || code.startsWith('08')) return `${code}${typeof message === 'string' ? `: ${message}` : ''}`;
      if (SOCKET_CODES.has(code)) return code;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(message))) return message;
  }
  return undefined;
}

/**
 * True when Postgres (or the way to it) failed rather than the statement: the connection was lost
 * or could not be made. Such an operation did not happen, or (for a COMMIT in flight) may have:
 * see CommitOutcomeUnknownError.
 */
export function isConnectionError(error: unknown): boolean {
  return connectionFailureOf(error) !== undefined;
}

/**
 * The connection was lost while a COMMIT was on its way: the transaction may or may not have
 * committed. Retrying blindly could do the work twice; the caller finds out first (the command
 * handler looks for the events it appended). It is a connection error like its cause.
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`the connection was lost during COMMIT; whether it committed is unknown (${connectionFailureOf(cause) ?? String(cause)})`, { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}

/** How long and how often to try again. Delays grow exponentially with jitter, within a total budget. */
export interface RetryPolicy {
  /** The first delay (ms). */
  initialDelayMs: number;
  /** The largest single delay (ms). */
  maxDelayMs: number;
  /** No retry starts after this much time since the first try (ms): the whole call stays bounded. */
  maxElapsedMs: number;
  /** Part of each delay drawn at random, 0..1 (default 0.5): replicas do not retry in step. */
  jitter?: number;
}

/** Long enough to ride out a failover (Azure HA: typically seconds), short enough for a request. */
export const FAILOVER_RETRY: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 1_000, maxElapsedMs: 5_000, jitter: 0.5 };

/** The delay before retry number `retry` (0 for the first retry), in ms. */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry, 30));
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.5));
  return Math.round(ceiling * (1 - jitter * random()));
}

export interface RetryOptions {
  policy?: RetryPolicy;
  /** Which failures are worth another try (default: connection errors). */
  retryable?: (error: unknown) => boolean;
  /** Told before each retry (a log line, a counter). */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** For tests: time and sleep of their own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

/**
 * Runs `operation` (given the attempt number, 0 first) and tries again after a retryable failure
 * until it succeeds, fails otherwise, or the policy's time is up: then the last failure is thrown.
 * Only for operations that are safe to repeat.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? FAILOVER_RETRY;
  const retryable = options.retryable ?? isConnectionError;
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retryable(error)) throw error;
      const delay = retryDelay(policy, attempt, options.random);
      if (now() - started + delay > policy.maxElapsedMs) throw error;
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
