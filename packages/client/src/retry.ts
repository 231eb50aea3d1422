import { replayable } from './auth.js';

/**
 * Retries with backoff for answers that say "later": 429 Too Many Requests and 503 Service
 * Unavailable, waiting what their Retry-After says (seconds or an HTTP date) or, without one, an
 * exponential backoff with full jitter. Only calls that are safe to send twice are retried: GET,
 * HEAD, OPTIONS, PUT and DELETE (idempotent by RFC 9110), and a POST or PATCH that carries an
 * Idempotency-Key. A call that could not be sent at all (the network failed) is retried on the
 * same terms.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (4 by default; 1 turns retries off). */
  attempts?: number;
  /** The first backoff step without Retry-After, doubled each time (250 ms by default). */
  baseDelayMs?: number;
  /** No single wait is longer (30 s by default); a Retry-After past it gives the answer back at once. */
  maxDelayMs?: number;
  /** How to wait (tests give their own clock). */
  sleep?: (ms: number, signal?: AbortSignal | null) => Promise<void>;
  /** Told before each wait: which attempt failed, with what, and how long until the next. */
  onRetry?: (info: { attempt: number; status: number; delayMs: number; url: string }) => void;
  random?: () => number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRIED_STATUS = new Set([429, 503]);

/** Whether sending this request twice is harmless: an idempotent method, or an Idempotency-Key, and a body that can be copied. */
export function isRetryable(request: Request): boolean {
  return replayable(request) && (IDEMPOTENT.has(request.method.toUpperCase()) || request.headers.has('idempotency-key'));
}

/** Retry-After in milliseconds (RFC 9110 10.2.3: delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // an HTTP date starts with its day's name (IMF-fixdate, RFC 850, asctime); Date.parse takes far more
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const defaultSleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** A fetch that sends a request again after a 429 or 503 (or a network failure) when that is safe. */
export function retryingFetch(inner: (request: Request) => Promise<Response>, options: RetryOptions = {}): (request: Request) => Promise<Response> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  return async (request) => {
    if (attempts === 1 || !isRetryable(request)) return inner(request);
    for (let attempt = 1; ; attempt++) {
      const last = attempt === attempts;
      // a body can be read once: each attempt but the last sends a copy
      const sent = last ? request : request.clone();
      let response: Response | undefined;
      try {
        response = await inner(sent);
      } catch (error) {
        if (last || request.signal.aborted) throw error;
      }
      if (response && (last || !RETRIED_STATUS.has(response.status))) return response;
      const asked = response ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      if (asked !== undefined && asked > max) return response!;
      const delayMs = asked ?? Math.round(random() * Math.min(max, base * 2 ** (attempt - 1)));
      options.onRetry?.({ attempt, status: response?.status ?? 0, delayMs, url: request.url });
      // the answer we will not use still holds its connection until read or cancelled
      await response?.body?.cancel().catch(() => undefined);
      await sleep(delayMs, request.signal);
    }
  };
}
