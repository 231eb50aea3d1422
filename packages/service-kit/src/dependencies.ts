import { connectionFailureOf, errorChain } from '@strata/event-store';

/**
 * The one mapping of "a dependency is away" for every service: an error that says Postgres, Redis,
 * the Dapr sidecar (or what is behind it) or Blob Storage could not be reached, or lost the
 * connection, is a 503 with Retry-After (registerProblemHandlers), never a 500: the request was
 * fine, the same request succeeds once the dependency is back.
 */
export type Dependency = 'postgres' | 'redis' | 'sidecar' | 'blob-storage' | 'network';

export interface DependencyFailure {
  dependency: Dependency;
  /** For the log (never sent to the client). */
  reason: string;
}

/** Seconds a client is told to wait (Retry-After) after a dependency failure. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

// ioredis: no connection (fail-fast clients refuse at once), retries used up, a cluster that
// cannot route, a server that is loading its data or failing over
const REDIS_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const REDIS_MESSAGES = [
  /enableOfflineQueue options is false/,
  /^Connection is closed\.?$/,
  /^None of startup nodes is available/,
  /^Failed to refresh slots cache/,
  /^Too many Cluster redirections/,
  /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)\b/,
];

function redisFailure(e: { name?: unknown; message?: unknown }): string | undefined {
  if (typeof e.name === 'string' && REDIS_ERROR_NAMES.has(e.name)) return `${e.name}: ${String(e.message)}`;
  if (typeof e.message === 'string' && REDIS_MESSAGES.some((re) => re.test(e.message as string))) return e.message;
  return undefined;
}

/** Blob Storage (Azure SDK's RestError): not reached, or a server-side failure (ServerBusy, 500). */
function blobFailure(e: { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown }): string | undefined {
  if (e.name !== 'RestError') return undefined;
  if (typeof e.statusCode === 'number' && e.statusCode >= 500) return `Blob Storage answered ${e.statusCode}`;
  if (e.code === 'REQUEST_SEND_ERROR' || (e.statusCode === undefined && connectionFailureOf({ code: e.code, message: e.message }))) {
    return `Blob Storage not reached: ${String(e.code ?? e.message)}`;
  }
  return undefined;
}

/** The sidecar (@strata/dapr's DaprError with a 5xx: the sidecar or its component failed) or fetch to it. */
function sidecarFailure(e: { name?: unknown; status?: unknown; message?: unknown; cause?: unknown }): string | undefined {
  if (e.name === 'DaprError' && typeof e.status === 'number' && e.status >= 500) return String(e.message);
  // fetch to the sidecar: refused, reset, or no answer in time (AbortSignal.timeout)
  if (e.name === 'TimeoutError') return `no answer in time: ${String(e.message)}`;
  if (e.name === 'TypeError' && e.message === 'fetch failed') {
    const cause = connectionFailureOf(e.cause);
    return cause ? `fetch failed: ${cause}` : undefined;
  }
  return undefined;
}

const PG_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|terminating connection|the database system)/i;

/** What dependency failed in `error`, if a dependency did; undefined for anything else (a bug: 500). */
export function dependencyFailureOf(error: unknown): DependencyFailure | undefined {
  for (const e of errorChain(error)) {
    if (typeof e !== 'object' || e === null) continue;
    const fields = e as Record<string, unknown>;
    const sidecar = sidecarFailure(fields);
    if (sidecar) return { dependency: 'sidecar', reason: sidecar };
    const blob = blobFailure(fields);
    if (blob) return { dependency: 'blob-storage', reason: blob };
    const redis = redisFailure(fields);
    if (redis) return { dependency: 'redis', reason: redis };
  }
  const connection = connectionFailureOf(error);
  if (connection === undefined) return undefined;
  // a SQLSTATE or a message of pg's is Postgres; a bare socket error could be any of them
  const fromPg = [...errorChain(error)].some((e) => {
    if (typeof e !== 'object' || e === null) return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    return (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) || (typeof message === 'string' && PG_MESSAGE.test(message));
  });
  return { dependency: fromPg ? 'postgres' : 'network', reason: connection };
}
