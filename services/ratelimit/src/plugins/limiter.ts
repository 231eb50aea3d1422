import { readFileSync } from 'node:fs';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';
import { type PolicySet, PolicySetError, compilePolicySet, defaultPolicySet } from '@strata/service-kit/rate-policy';
import { type DecideRequest, type Decision, DecisionError, planDecision, summarize } from '../domain/decide.js';
import { SlidingLogLimiter } from '../domain/limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: {
      policies: PolicySet;
      /** One decision: one script call. Throws 422 for requests no policy can decide, 503 without Redis. */
      decide(request: DecideRequest): Promise<Decision>;
    };
  }
}

export interface LimiterPluginOptions {
  /** A JSON policy set replacing the built-in one. */
  policiesFile?: string | undefined;
  /** Milliseconds since the epoch; tests only. Unset, the script uses the Redis server's clock. */
  clock?: (() => number) | undefined;
}

function loadPolicies(file: string | undefined): PolicySet {
  if (!file) return compilePolicySet(defaultPolicySet);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicySetError([`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  try {
    return compilePolicySet(parsed);
  } catch (error) {
    if (error instanceof PolicySetError) throw new PolicySetError(error.problems.map((p) => `${file}: ${p}`));
    throw error;
  }
}

/** The policy set (checked at boot) and the sliding-log limiter on `app.redis`, with their metrics. */
export const limiterPlugin = fp(
  async (app: FastifyInstance, opts: LimiterPluginOptions) => {
    const policies = loadPolicies(opts.policiesFile);
    const limiter = new SlidingLogLimiter(app.redis, { clock: opts.clock });

    const decisions = new Counter({
      name: 'ratelimit_decisions_total',
      help: 'Rate-limit decisions by policy and outcome (allowed, denied, error).',
      labelNames: ['policy', 'outcome'] as const,
      registers: [app.metrics],
    });
    const scriptDuration = new Histogram({
      name: 'ratelimit_script_duration_seconds',
      help: 'Latency of the decision script (one EVALSHA round trip to Redis), by policy.',
      labelNames: ['policy'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [app.metrics],
    });
    // every policy appears in the scrape from the start, so rates over new series are not skewed
    for (const name of policies.policies.keys()) {
      for (const outcome of ['allowed', 'denied', 'error']) decisions.inc({ policy: name, outcome }, 0);
    }

    app.decorate('rateLimits', {
      policies,
      async decide(request: DecideRequest): Promise<Decision> {
        let plan;
        try {
          plan = planDecision(policies, request);
        } catch (error) {
          if (error instanceof DecisionError) throw httpError(422, error.message, { reason: error.code });
          throw error;
        }
        const checks = plan.checks.map((c) => ({ key: c.key, limit: c.limit.limit, windowUs: c.limit.windowUs }));
        const endTimer = scriptDuration.startTimer({ policy: plan.policy.name });
        let outcome;
        try {
          outcome = await limiter.decide(checks, plan.cost, plan.holdMs);
        } catch (error) {
          decisions.inc({ policy: plan.policy.name, outcome: 'error' });
          app.log.warn({ err: error, policy: plan.policy.name }, 'rate-limit decision failed');
          // the gateway decides what a missing answer means (fail open or closed per route)
          throw httpError(503, 'The rate-limit store is unavailable.');
        } finally {
          endTimer();
        }
        const decision = summarize(plan, outcome);
        decisions.inc({ policy: plan.policy.name, outcome: decision.allowed ? 'allowed' : 'denied' });
        return decision;
      },
    });
  },
  { name: 'ratelimit-limiter', dependencies: ['strata-redis', 'strata-metrics'] },
);
