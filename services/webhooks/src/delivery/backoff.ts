/** The retry schedule's settings (config: WEBHOOK_RETRY_*). */
export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** Tried for this long from the delivery's start (its first attempt, or its redelivery), then dead. */
  horizonMs: number;
}

/**
 * When a delivery that failed its `attempt`-th attempt is tried next, or null for dead: an
 * exponential delay (base · 2^(attempt-1), capped) with full jitter (AWS's "full jitter": a
 * uniform draw below the delay, so receivers coming back are not hit by every sender at once),
 * never below a tenth of the delay; null when that time falls past the horizon. `random` is [0, 1).
 */
export function nextAttemptAt(attempt: number, startedAt: Date, now: Date, backoff: Backoff, random: number): Date | null {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 40));
  const delay = Math.max(Math.ceil(exp * 0.1), Math.floor(exp * random));
  const at = now.getTime() + delay;
  if (at > startedAt.getTime() + backoff.horizonMs) return null;
  return new Date(at);
}
