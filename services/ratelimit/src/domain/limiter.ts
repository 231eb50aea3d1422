import { randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { SLIDING_LOG_SCRIPT } from '../lua/sliding-log.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The sliding-log decision script (src/lua/sliding-log.ts), sent with EVALSHA by ioredis. */
    strataRateLimitSlidingLog(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
  }
}

/** Every key this service writes starts with this; the README lists them. */
export const KEY_PREFIX = 'strata:ratelimit:';

/** The Redis key of one limit for one counted value (a subject, an address, an account). */
export function limitKey(limitName: string, value: string): string {
  return `${KEY_PREFIX}${limitName}:${value}`;
}

export interface LimitCheck {
  key: string;
  /** Admissions allowed in any window. */
  limit: number;
  windowUs: number;
}

export interface CheckOutcome {
  /** This limit alone would admit the request (it may still be refused by another). */
  conforms: boolean;
  /** Admissions left in the current window after this decision. */
  remaining: number;
  /** Until the oldest admission leaves the window and a slot frees (0 when none is counted). */
  resetMs: number;
  /** Until this limit would admit the same cost; 0 when it does now, -1 when it never will. */
  retryAfterMs: number;
}

export interface LimitOutcome {
  allowed: boolean;
  /** The clock the decision used (Redis server time unless a clock was given), in ms. */
  nowMs: number;
  checks: CheckOutcome[];
}

export interface LimiterOptions {
  /**
   * Milliseconds since the epoch. Leave unset in production: the script then reads the Redis
   * server's clock, the one clock all instances share. Tests pass a clock they control.
   */
  clock?: (() => number) | undefined;
}

/**
 * Decides one request against one or more limits in a single script call: atomic, so any number
 * of instances may ask at once, and all-or-nothing across the limits.
 */
export class SlidingLogLimiter {
  private readonly clock: (() => number) | undefined;

  constructor(
    private readonly redis: Redis,
    options: LimiterOptions = {},
  ) {
    this.clock = options.clock;
    // ioredis sends EVALSHA and falls back to EVAL once when Redis answers NOSCRIPT (a restart)
    redis.defineCommand('strataRateLimitSlidingLog', { lua: SLIDING_LOG_SCRIPT });
  }

  /**
   * Takes `cost` admissions from every limit, or none. With `holdMs`, the admissions are dated
   * that far ahead: a lease the caller may spend until then (see the script).
   */
  async decide(checks: readonly LimitCheck[], cost: number, holdMs = 0): Promise<LimitOutcome> {
    if (checks.length === 0) throw new Error('a decision needs at least one limit');
    if (!Number.isInteger(cost) || cost < 1) throw new Error(`cost must be a positive integer, not ${cost}`);
    if (!Number.isInteger(holdMs) || holdMs < 0) throw new Error(`hold must be a non-negative integer, not ${holdMs}`);
    const now = this.clock ? String(Math.round(this.clock() * 1000)) : '';
    // members only need to be unique within a key: 96 random bits per call are plenty
    const prefix = randomBytes(12).toString('base64url');
    const args: (string | number)[] = [...checks.map((c) => c.key), now, cost, holdMs * 1000, prefix];
    for (const check of checks) args.push(check.windowUs, check.limit);
    const reply = await this.redis.strataRateLimitSlidingLog(checks.length, ...args);
    return parseReply(reply, checks.length);
  }
}

function parseReply(reply: number[], count: number): LimitOutcome {
  if (!Array.isArray(reply) || reply.length !== 2 + 4 * count) {
    throw new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
  }
  const checks: CheckOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const at = 2 + 4 * i;
    checks.push({
      conforms: reply[at] === 1,
      remaining: Number(reply[at + 1]),
      resetMs: Number(reply[at + 2]),
      retryAfterMs: Number(reply[at + 3]),
    });
  }
  return { allowed: reply[0] === 1, nowMs: Number(reply[1]), checks };
}
