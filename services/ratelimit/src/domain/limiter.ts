import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '@strata/service-kit';
import type { Result } from 'ioredis';
import { SLIDING_LOG_SCRIPT } from '../lua/sliding-log.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The sliding-log decision script (src/lua/sliding-log.ts), sent with EVALSHA by ioredis. */
    strataRateLimitSlidingLog(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
  }
}

/** Every key this service writes starts with this; the README lists them. */
export const KEY_PREFIX = 'strata:ratelimit:';

/**
 * The Redis key of one limit for one counted value (a subject, an address, an account). A
 * decision runs one script over the keys of its policy's limits, so on a Redis Cluster they must
 * share a hash slot; and a counter must keep one key whichever decision touches it. Hence the
 * hash tag ({...}) depends on the policy alone, never on the request:
 * - `shared: 'value'`, a policy whose limits all count the same dimension (one subject over two
 *   windows): the value is the tag, so clients spread over the masters;
 * - `shared: 'policy'`, a policy whose limits count different values (an address and an account):
 *   the policy's name is the tag, one slot for all its counters (sign-in, registration, refresh).
 */
export function limitKey(limitName: string, value: string, shared: KeyTag): string {
  if (shared.by === 'policy') return `${KEY_PREFIX}{${shared.policy}}:${limitName}:${value}`;
  // a brace in the value would end the tag early: such values are tagged by their digest
  const tag = /[{}]/.test(value) ? `#${createHash('sha256').update(value).digest('base64url').slice(0, 22)}` : value;
  return `${KEY_PREFIX}${limitName}:{${tag}}`;
}

/** What a policy's keys share as their hash tag (limitKey). */
export type KeyTag = { by: 'value' } | { by: 'policy'; policy: string };

/** The tag of a policy's keys: its value when every limit counts one dimension, else its name. */
export function keyTagOf(policy: { name: string; limits: readonly { by: string }[] }): KeyTag {
  const dimensions = new Set(policy.limits.map((l) => l.by));
  return dimensions.size <= 1 ? { by: 'value' } : { by: 'policy', policy: policy.name };
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
    private readonly redis: RedisClient,
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
