import type { RateLimitDecideRequest, RateLimitDecision } from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import { PolicySetError, policySetFromView } from '@strata/service-kit/rate-policy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { GatewayConfig } from '../../config.js';
import { DecisionClient } from './decision-client.js';
import { LocalLimiter } from './fallback.js';
import { limitsRoute, routeClassOf } from './routes.js';
import { subjectOf } from './subject.js';

/*
 * Rate limits on the public API (README: "Rate limits"). Every request to a route of the public
 * route table is decided before it is forwarded: by the ratelimit service (one exact
 * sliding-window log per client in Redis, shared by every replica), from a lease of a few tokens
 * this replica took from it, or, when the service does not answer in time, by a local limit.
 * Every answer carries RateLimit-Policy and RateLimit; a refusal is 429 problem+json with
 * Retry-After.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The RateLimit fields (and Retry-After on a refusal) for this request's answer. */
    rateLimitHeaders: Record<string, string> | null;
  }
}

const POLICY_REFRESH_MS = 5 * 60_000;
const POLICY_RETRY_MS = 5_000;
const SWEEP_MS = 10_000;

export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { config: GatewayConfig }) => {
    const { config } = opts;
    const decisions = new Counter({
      name: 'gateway_ratelimit_decisions_total',
      help: 'Rate-limit decisions on /api/v1 by outcome (allowed, denied) and source (service, lease, fallback).',
      labelNames: ['outcome', 'source'] as const,
      registers: [app.metrics],
    });
    const fallbackActive = new Gauge({
      name: 'gateway_ratelimit_fallback_active',
      help: '1 while the ratelimit service does not answer and this replica applies its local fallback limits.',
      registers: [app.metrics],
    });
    const serviceDuration = new Histogram({
      name: 'gateway_ratelimit_service_seconds',
      help: 'Round trip of a decision through Dapr service invocation to the ratelimit service.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [app.metrics],
    });
    for (const outcome of ['allowed', 'denied']) for (const source of ['service', 'lease', 'fallback']) decisions.inc({ outcome, source }, 0);
    fallbackActive.set(0);

    if (!config.RATE_LIMIT_ENABLED) {
      app.addReadinessCheck('ratelimit', async () => ({ ok: true, detail: 'rate limits are off (RATE_LIMIT_ENABLED=false)' }));
      return;
    }

    const clock = () => performance.now();
    const local = new LocalLimiter(config.RATE_LIMIT_FALLBACK_REPLICAS, clock);
    const ask = async (body: RateLimitDecideRequest): Promise<RateLimitDecision> => {
      const end = serviceDuration.startTimer();
      try {
        const res = await app.dapr.invoke(config.RATE_LIMIT_APP_ID, 'v1/decide', {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
          timeoutMs: config.RATE_LIMIT_TIMEOUT_MS,
        });
        if (res.status !== 200) {
          const text = await res.text();
          throw new Error(`${config.RATE_LIMIT_APP_ID} answered ${res.status}: ${text.slice(0, 200)}`);
        }
        return (await res.json()) as RateLimitDecision;
      } finally {
        end();
      }
    };
    const client = new DecisionClient({
      ask,
      fallback: local,
      clock,
      leaseSize: config.RATE_LIMIT_LEASE_SIZE,
      leaseMax: Math.max(config.RATE_LIMIT_LEASE_SIZE, config.RATE_LIMIT_LEASE_MAX),
      leaseMs: config.RATE_LIMIT_LEASE_MS,
      recheckMs: config.RATE_LIMIT_RECHECK_MS,
      onAvailability: (up, error) => {
        fallbackActive.set(up ? 0 : 1);
        if (up) app.log.info('the ratelimit service answers again: cluster-wide limits apply');
        else app.log.warn({ err: error }, 'the ratelimit service did not answer: local fallback limits apply');
      },
    });

    // the fallback applies the service's own policies once it has told us them
    let policyTimer: NodeJS.Timeout | undefined;
    const loadPolicies = async () => {
      let next = POLICY_RETRY_MS;
      try {
        const res = await app.dapr.invoke(config.RATE_LIMIT_APP_ID, 'v1/policies', { timeoutMs: 2_000 });
        if (res.ok) {
          local.policies = policySetFromView(await res.json());
          next = POLICY_REFRESH_MS;
        } else {
          await res.body?.cancel();
        }
      } catch (error) {
        // the policies the fallback has stand until the service answers with ones it can read
        if (error instanceof PolicySetError) app.log.warn({ err: error }, 'the ratelimit service answered policies the fallback cannot read');
      }
      policyTimer = setTimeout(() => void loadPolicies(), next);
      policyTimer.unref();
    };
    void loadPolicies();
    const sweeper = setInterval(() => {
      client.sweep();
      local.sweep();
    }, SWEEP_MS);
    sweeper.unref();
    app.addHook('onClose', async () => {
      clearTimeout(policyTimer);
      clearInterval(sweeper);
    });

    app.addReadinessCheck('ratelimit', async () => ({
      // the gateway stays ready: the fallback limits, not a 5xx, answer while the service is away
      ok: true,
      detail: client.degraded
        ? `degraded: local fallback limits (each policy / ${config.RATE_LIMIT_FALLBACK_REPLICAS} per replica), the ratelimit service does not answer`
        : 'cluster-wide limits from the ratelimit service',
    }));

    app.decorateRequest('rateLimitHeaders', null);

    const limit = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '';
      const routeClass = routeClassOf(path, request.method);
      const subject = await subjectOf(app, request, reply, path, routeClass);
      const outcome = await client.decide(routeClass, subject);
      decisions.inc({ outcome: outcome.allowed ? 'allowed' : 'denied', source: outcome.source });
      request.rateLimitHeaders = { ...outcome.headers };
      if (!outcome.allowed) {
        throw httpError(429, `Too many requests: policy "${outcome.policy}" allows no more now. Retry in ${outcome.retryAfterSeconds} s.`, {
          policy: outcome.policy,
          retryAfter: outcome.retryAfterSeconds,
        });
      }
    };

    // only the routes of the public route table pay for a decision; health, metrics and the UI are not limited here
    app.addHook('onRoute', (route) => {
      if (!limitsRoute(route.url)) return;
      const existing = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : [];
      route.preHandler = [limit, ...existing];
    });
    app.addHook('onSend', async (request, reply, payload) => {
      const headers = request.rateLimitHeaders;
      if (headers) for (const [name, value] of Object.entries(headers)) reply.header(name, value);
      return payload;
    });
  },
  { name: 'gateway-rate-limit', dependencies: ['strata-auth', 'strata-metrics', 'strata-health', 'strata-dapr', 'gateway-client'] },
);
