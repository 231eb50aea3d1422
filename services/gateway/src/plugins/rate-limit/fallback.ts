import type { RateLimitSubject } from '@strata/contracts';
import {
  type PolicySet,
  bindingFirst,
  compilePolicySet,
  countedLimits,
  defaultPolicySet,
  policyFor,
  rateLimitHeaders,
  toSeconds,
} from '@strata/service-kit/rate-policy';
import type { Clock, Fallback, Outcome } from './decision-client.js';

/**
 * The fallback: the ratelimit service's own policies (the built-in set until it has told us
 * its), decided in memory as an exact sliding-window log per limit and value, in this process
 * only. With the load spread over `replicas` gateways, each admits at most limit / replicas in
 * any window, so together they stay near the policy while Redis or the ratelimit service is away.
 */
export class LocalLimiter implements Fallback {
  private readonly logs = new Map<string, number[]>();
  policies: PolicySet = compilePolicySet(defaultPolicySet);

  constructor(
    private readonly replicas: number,
    private readonly clock: Clock,
  ) {}

  decide(routeClass: string, subject: RateLimitSubject): Omit<Outcome, 'source'> {
    const now = this.clock();
    const policy = policyFor(this.policies, routeClass, subject);
    const checks = countedLimits(policy, subject, 'skip').map(({ limit, value }) => {
      const key = `${limit.name}:${value}`;
      const windowMs = limit.windowSeconds * 1000;
      const log = (this.logs.get(key) ?? []).filter((t) => t > now - windowMs);
      this.logs.set(key, log);
      return { limit, log, windowMs, quota: Math.max(1, Math.floor(limit.limit / this.replicas)) };
    });
    const allowed = checks.every((c) => c.log.length + 1 <= c.quota);
    if (allowed) for (const c of checks) c.log.push(now);
    const states = checks.map((c) => ({
      name: c.limit.name,
      limit: c.quota,
      windowSeconds: c.limit.windowSeconds,
      // a log longer than its quota (the policies just shrank) has nothing left, not less
      remaining: Math.max(0, c.quota - c.log.length),
      resetMs: c.log.length > 0 ? c.log[0]! + c.windowMs - now : 0,
      // until enough of the oldest admissions leave the window for one more
      retryAfterMs: c.log.length + 1 > c.quota ? c.log[c.log.length - c.quota]! + c.windowMs - now : 0,
    }));
    const retryAfterMs = allowed ? 0 : Math.max(...states.map((s) => s.retryAfterMs));
    return {
      allowed,
      policy: policy.name,
      headers: rateLimitHeaders(bindingFirst(states, allowed), retryAfterMs),
      retryAfterSeconds: toSeconds(retryAfterMs),
    };
  }

  /** Forgets logs with nothing left in their window. */
  sweep(): void {
    const now = this.clock();
    const longest = Math.max(...[...this.policies.policies.values()].flatMap((p) => p.limits.map((l) => l.windowSeconds * 1000)), 60_000);
    for (const [key, log] of this.logs) if ((log.at(-1) ?? 0) <= now - longest) this.logs.delete(key);
  }
}
