import type { RateLimitDecision, RateLimitSubject } from '@strata/contracts';
import {
  type CompiledLimit,
  type CompiledPolicy,
  type CountedLimit,
  type Dimension,
  MissingDimensionError,
  type PolicySet,
  type RateLimitHeaders,
  bindingFirst,
  countedLimits,
  policyFor,
  rateLimitHeaders,
} from '@strata/service-kit/rate-policy';
import { type LimitOutcome, keyTagOf, limitKey } from './limiter.js';

export interface DecideRequest {
  /** Names the policy outright; otherwise it is selected by route class, caller kind and plan. */
  policy?: string | undefined;
  routeClass: string;
  subject: RateLimitSubject;
  /** Tokens to take: 1 for one request, more for a lease the gateway spends locally. */
  cost?: number | undefined;
  /** A lease: the tokens count as taken this many ms from now, the last moment they may be spent. */
  holdMs?: number | undefined;
}

export interface CheckResult {
  name: string;
  by: Dimension;
  limit: number;
  windowSeconds: number;
  burst: number;
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

/**
 * The answer as the gateway reads it (RateLimitDecision, defined once in @strata/contracts), with
 * this service's richer check entries. `limit` is the binding limit: the one that refused, or the
 * one with the fewest tokens left.
 */
export interface Decision extends RateLimitDecision {
  checks: CheckResult[];
  headers: RateLimitHeaders;
}

export type DecisionErrorCode = 'unknown-policy' | 'missing-dimension' | 'cost-exceeds-burst';

/** A request the policies cannot decide (the caller's mistake, answered with 422). */
export class DecisionError extends Error {
  constructor(
    readonly code: DecisionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecisionError';
  }
}

export interface PlannedCheck {
  limit: CompiledLimit;
  key: string;
}

export interface Plan {
  policy: CompiledPolicy;
  cost: number;
  holdMs: number;
  checks: PlannedCheck[];
}

/** Which limits apply to a request and under which keys. Pure: no Redis, no clock. */
export function planDecision(set: PolicySet, request: DecideRequest): Plan {
  const policy = request.policy ? set.policies.get(request.policy) : policyFor(set, request.routeClass, request.subject);
  if (!policy) throw new DecisionError('unknown-policy', `there is no policy "${request.policy}"`);
  const cost = request.cost ?? 1;

  let counted: CountedLimit[];
  try {
    counted = countedLimits(policy, request.subject);
  } catch (error) {
    if (error instanceof MissingDimensionError) throw new DecisionError('missing-dimension', error.message);
    throw error;
  }
  const checks: PlannedCheck[] = [];
  const tag = keyTagOf(policy);
  for (const { limit, value } of counted) {
    if (cost > limit.limit) {
      throw new DecisionError(
        'cost-exceeds-burst',
        `a cost of ${cost} can never pass limit "${limit.name}", which admits ${limit.limit} per window`,
      );
    }
    checks.push({ limit, key: limitKey(limit.name, value, tag) });
  }
  return { policy, cost, holdMs: request.holdMs ?? 0, checks };
}

/** The answer for a plan and the script's outcome. Pure. */
export function summarize(plan: Plan, outcome: LimitOutcome): Decision {
  const checks = plan.checks.map((planned, i): CheckResult => {
    const result = outcome.checks[i];
    if (!result) throw new Error(`the script answered for ${outcome.checks.length} limits, not ${plan.checks.length}`);
    return {
      name: planned.limit.name,
      by: planned.limit.by,
      limit: planned.limit.limit,
      windowSeconds: planned.limit.windowSeconds,
      burst: planned.limit.burst,
      allowed: result.conforms,
      remaining: result.remaining,
      resetMs: result.resetMs,
      retryAfterMs: result.retryAfterMs,
    };
  });
  const ordered = bindingFirst(checks, outcome.allowed);
  const first = ordered[0]!;
  const retryAfterMs = outcome.allowed ? 0 : Math.max(...checks.map((c) => c.retryAfterMs));
  return {
    allowed: outcome.allowed,
    policy: plan.policy.name,
    limit: first.limit,
    remaining: first.remaining,
    resetMs: first.resetMs,
    retryAfterMs,
    cost: plan.cost,
    checks,
    headers: rateLimitHeaders(ordered, outcome.allowed ? undefined : retryAfterMs),
  };
}
