import { Readable } from 'node:stream';
import {
  type RateLimitDecideRequest,
  type RateLimitDecision,
  type RateLimitRouteClass,
  RateLimitRouteClasses,
  type RateLimitSubject,
  publicRouteOf,
} from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { GatewayConfig } from '../config.js';

/*
 * Rate limits on /api/v1 and /.well-known (README: "Rate limits"). Every request is decided before
 * it is forwarded: by the ratelimit service (one exact sliding-window log per client in Redis,
 * shared by every replica), from a lease of a few tokens this replica took from it, or, when the
 * service does not answer in time, by a local limit. Every answer carries RateLimit-Policy and
 * RateLimit; a refusal is 429 problem+json with Retry-After.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The RateLimit fields (and Retry-After on a refusal) for this request's answer. */
    rateLimitHeaders: Record<string, string> | null;
  }
}

export type DecisionSource = 'service' | 'lease' | 'fallback';

export interface Outcome {
  allowed: boolean;
  policy: string;
  source: DecisionSource;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// What a request is: its route class, who sends it, which account it names

/**
 * The rate-limit class of the route a request reaches: sign-in, registration and token POSTs have
 * their own, stricter policies; everything else is `api`. `path` is the canonical path.
 */
export function routeClassOf(path: string, method = 'POST'): RateLimitRouteClass {
  if (method !== 'POST') return RateLimitRouteClasses.api;
  const route = publicRouteOf(path);
  return route?.path === path && route.rateClass ? route.rateClass : RateLimitRouteClasses.api;
}

/** The sessions service's refresh-token cookie: `<session id>.<secret>`. */
const REFRESH_COOKIE = 'strata_refresh';
/** Sign-in, registration and token bodies are small; a larger one is refused before it is read further. */
export const MAX_AUTH_BODY_BYTES = 16 * 1024;

function jsonField(body: Buffer, field: string): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object') {
      const value = (parsed as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    }
  } catch {
    // not JSON: the service answers 400 itself
  }
  return undefined;
}

/**
 * The account a sign-in, registration or token request names: the e-mail of login and register,
 * the client id of a client-credentials request (Basic or body), the session of a refresh cookie.
 * Unverified on purpose: a guesser pays per account named and, whatever it names, per address.
 */
export function accountOf(
  routeClass: RateLimitRouteClass,
  headers: FastifyRequest['headers'],
  body: Buffer | undefined,
): string | undefined {
  const type = String(headers['content-type'] ?? '');
  let account: string | undefined;
  if (routeClass === RateLimitRouteClasses.login || routeClass === RateLimitRouteClasses.register) {
    account = body && type.includes('json') ? jsonField(body, 'email') : undefined;
  } else if (routeClass === RateLimitRouteClasses.token) {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(headers.authorization ?? '');
    if (basic?.[1]) {
      const id = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
      try {
        account = id ? decodeURIComponent(id) : undefined;
      } catch {
        account = undefined;
      }
    } else if (body && type.includes('json')) {
      account = jsonField(body, 'client_id');
    } else if (body && type.includes('application/x-www-form-urlencoded')) {
      account = new URLSearchParams(body.toString('utf8')).get('client_id') ?? undefined;
    } else {
      const cookie = String(headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim())
        .find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
      account = cookie?.slice(REFRESH_COOKIE.length + 1).split('.')[0];
    }
  }
  account = account?.trim().slice(0, 320);
  return account ? account : undefined;
}

/** Reads a small body whole and puts an identical stream back for the proxy to forward. */
async function bufferBody(request: FastifyRequest): Promise<Buffer | undefined> {
  const body = request.body;
  if (!(body instanceof Readable)) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_AUTH_BODY_BYTES) throw httpError(413, `Sign-in, registration and token bodies are at most ${MAX_AUTH_BODY_BYTES} bytes.`);
    chunks.push(buffer);
  }
  const whole = Buffer.concat(chunks);
  request.body = Readable.from(whole.length > 0 ? [whole] : []);
  return whole;
}

// ---------------------------------------------------------------------------------------------
// The RateLimit fields (draft-ietf-httpapi-ratelimit-headers), for answers the gateway composes
// itself (leases and the fallback); the service's own answers come formatted.

interface FieldState {
  name: string;
  quota: number;
  windowSeconds: number;
  remaining: number;
  resetMs: number;
}

const seconds = (ms: number) => (ms <= 0 ? 0 : Math.ceil(ms / 1000));

/** Policy and limit names are `[a-z0-9-]` (checked by the service), so they need no escaping. */
export function rateLimitFields(states: FieldState[], retryAfterMs: number): Record<string, string> {
  // the binding limit (fewest units left) first: clients that read one member read the first
  const ordered = [...states].sort((a, b) => a.remaining - b.remaining);
  const headers: Record<string, string> = {
    'RateLimit-Policy': ordered.map((s) => `"${s.name}";q=${s.quota};w=${s.windowSeconds}`).join(', '),
    RateLimit: ordered.map((s) => `"${s.name}";r=${Math.max(0, s.remaining)};t=${seconds(s.resetMs)}`).join(', '),
  };
  if (retryAfterMs > 0) headers['Retry-After'] = String(seconds(retryAfterMs));
  return headers;
}

// ---------------------------------------------------------------------------------------------
// The fallback: the same policies, decided in memory, each replica a share of every limit

interface PolicyView {
  name: string;
  limits: { name: string; by: 'subject' | 'address' | 'account'; limit: number; windowSeconds: number; optional: boolean }[];
}
interface PolicyRule {
  routeClass?: string;
  callerKind?: string;
  plan?: string;
  policy: string;
}
export interface PolicySetView {
  policies: PolicyView[];
  rules: PolicyRule[];
}

/** Until the service has told us its policies: the seed's rule for everything. */
export const BUILT_IN_POLICIES: PolicySetView = {
  policies: [{ name: 'default', limits: [{ name: 'default', by: 'subject', limit: 100, windowSeconds: 60, optional: false }] }],
  rules: [{ policy: 'default' }],
};

function dimension(subject: RateLimitSubject, by: 'subject' | 'address' | 'account'): string | undefined {
  if (by === 'subject') return `${subject.kind}:${subject.id}`;
  if (by === 'address') return subject.address ?? (subject.kind === 'anonymous' ? subject.id : undefined);
  const account = subject.account?.trim().toLowerCase();
  return account ? account : undefined;
}

/**
 * An exact sliding-window log per limit and value, in this process only. With the load spread
 * over `replicas` gateways, each admits at most limit / replicas in any window, so together they
 * stay near the policy while Redis or the ratelimit service is away.
 */
export class LocalLimiter {
  private readonly logs = new Map<string, number[]>();
  policies: PolicySetView = BUILT_IN_POLICIES;

  constructor(private readonly replicas: number) {}

  private select(routeClass: string, subject: RateLimitSubject): PolicyView {
    for (const rule of this.policies.rules) {
      if (rule.routeClass !== undefined && rule.routeClass !== routeClass) continue;
      if (rule.callerKind !== undefined && rule.callerKind !== subject.kind) continue;
      if (rule.plan !== undefined && rule.plan !== subject.plan) continue;
      const policy = this.policies.policies.find((p) => p.name === rule.policy);
      if (policy) return policy;
    }
    return BUILT_IN_POLICIES.policies[0]!;
  }

  decide(routeClass: string, subject: RateLimitSubject, now = Date.now()): Omit<Outcome, 'source'> {
    const policy = this.select(routeClass, subject);
    const checks = policy.limits.flatMap((limit) => {
      const value = dimension(subject, limit.by);
      if (value === undefined) return [];
      const key = `${limit.name}:${value}`;
      const windowMs = limit.windowSeconds * 1000;
      const log = (this.logs.get(key) ?? []).filter((t) => t > now - windowMs);
      this.logs.set(key, log);
      return [{ limit, log, windowMs, quota: Math.max(1, Math.floor(limit.limit / this.replicas)) }];
    });
    const allowed = checks.every((c) => c.log.length + 1 <= c.quota);
    if (allowed) for (const c of checks) c.log.push(now);
    let retryAfterMs = 0;
    const states = checks.map((c) => {
      if (!allowed && c.log.length + 1 > c.quota) {
        const freeing = c.log[c.log.length - c.quota]!;
        retryAfterMs = Math.max(retryAfterMs, freeing + c.windowMs - now);
      }
      return {
        name: c.limit.name,
        quota: c.quota,
        windowSeconds: c.limit.windowSeconds,
        remaining: c.quota - c.log.length,
        resetMs: c.log.length > 0 ? c.log[0]! + c.windowMs - now : 0,
      };
    });
    return {
      allowed,
      policy: policy.name,
      headers: states.length > 0 ? rateLimitFields(states, allowed ? 0 : retryAfterMs) : {},
      retryAfterSeconds: allowed ? 0 : seconds(retryAfterMs),
    };
  }

  /** Forgets logs with nothing left in their window. */
  sweep(now = Date.now()): void {
    const longest = Math.max(...this.policies.policies.flatMap((p) => p.limits.map((l) => l.windowSeconds * 1000)), 60_000);
    for (const [key, log] of this.logs) if ((log.at(-1) ?? 0) <= now - longest) this.logs.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------
// Decisions from the service: one call at a time per client, batched, with leases for busy clients

interface Waiter {
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

interface Lease {
  /** Tokens not spent yet. */
  tokens: number;
  /** performance.now() after which none of them may be spent. */
  deadline: number;
}

interface ClientState {
  /** Leases held, the oldest (earliest deadline) first. */
  leases: Lease[];
  /** The newest answer that admitted something, and when: the RateLimit fields of lease spends. */
  grant: RateLimitDecision | undefined;
  grantedAt: number;
  /** What the last answer said: the limit, and whether the next call should lease. */
  lastRemaining: number;
  lastLimit: number;
  lastAt: number;
  /** Tokens the next lease takes: doubled when requests had to wait for a call, halved when a lease expired unspent. */
  leaseSize: number;
  /** A call for this client is under way; requests arriving meanwhile wait in `queue`. */
  busy: boolean;
  queue: Waiter[];
}

class Unavailable extends Error {}

export interface DecisionClientOptions {
  ask: (body: RateLimitDecideRequest) => Promise<RateLimitDecision>;
  local: LocalLimiter;
  /** The first lease of a client; later ones adapt between this and `leaseMax`. */
  leaseSize: number;
  leaseMax: number;
  leaseMs: number;
  recheckMs: number;
  onAvailability: (up: boolean, error?: unknown) => void;
}

/**
 * Asks the ratelimit service, at most one call per client at a time on this replica: requests that
 * arrive while a call is under way are decided together by the next call (cost = their number,
 * all or nothing; when that is refused but some tokens remain, a second call takes exactly those).
 * A burst of 1,000 thus costs a handful of calls, and every admission is recorded in Redis when it
 * is granted.
 *
 * Leases: while a client has more than half of its limit left, each call also takes `leaseSize`
 * tokens more, dated at the lease's end (`holdMs`), and the lease is topped up in the background
 * when half of it is spent, so a busy client rarely waits for a call. The tokens count in Redis
 * for every window that could contain their use, so spending them here until the lease ends keeps
 * "never more than the limit in any window" across replicas (ratelimit README: "Leases"). Unspent
 * tokens expire with their lease and can only make the limit stricter; near the limit every
 * request asks the service, so none are stranded where they matter.
 */
export class DecisionClient {
  private readonly clients = new Map<string, ClientState>();
  private downUntil = 0;
  private down = false;

  constructor(private readonly options: DecisionClientOptions) {}

  get degraded(): boolean {
    return this.down;
  }

  decide(routeClass: RateLimitRouteClass, subject: RateLimitSubject): Promise<Outcome> {
    const body: RateLimitDecideRequest = { routeClass, subject };
    const key = [routeClass, subject.kind, subject.id, subject.plan, subject.address, subject.account].join('|');
    let state = this.clients.get(key);
    if (!state) {
      state = {
        leases: [],
        grant: undefined,
        grantedAt: 0,
        lastRemaining: -1,
        lastLimit: 0,
        lastAt: 0,
        leaseSize: this.options.leaseSize,
        busy: false,
        queue: [],
      };
      this.clients.set(key, state);
    }
    const client = state;
    const spent = this.spend(client, performance.now());
    if (spent) {
      // top the lease up before it runs out, so the next requests need not wait for a call
      if (!client.busy && this.held(client) < client.leaseSize / 2 && this.leaseWorthy(client, body, 0)) void this.drain(client, body);
      return Promise.resolve(spent);
    }
    return new Promise<Outcome>((resolve, reject) => {
      client.queue.push({ resolve, reject });
      if (!client.busy) void this.drain(client, body);
    });
  }

  private held(state: ClientState): number {
    return state.leases.reduce((sum, l) => sum + l.tokens, 0);
  }

  private leaseWorthy(state: ClientState, body: RateLimitDecideRequest, take: number): boolean {
    if (this.options.leaseSize <= 1 || body.routeClass !== RateLimitRouteClasses.api) return false;
    if (performance.now() - state.lastAt >= 60_000 || state.lastLimit <= 0 || performance.now() < this.downUntil) return false;
    return state.lastRemaining - take - this.options.leaseSize >= Math.floor(state.lastLimit / 2);
  }

  private async drain(state: ClientState, body: RateLimitDecideRequest): Promise<void> {
    state.busy = true;
    try {
      let refill = state.queue.length === 0;
      while (state.queue.length > 0 || refill) {
        const now = performance.now();
        while (state.queue.length > 0) {
          const spent = this.spend(state, now);
          if (!spent) break;
          state.queue.shift()!.resolve(spent);
        }
        if (state.queue.length === 0 && !refill) break;
        refill = false;
        await this.serve(state, body);
      }
    } finally {
      state.busy = false;
    }
  }

  /** One round: decides the first waiters (as many as the limit could admit) and, on a refusal, all. */
  private async serve(state: ClientState, body: RateLimitDecideRequest): Promise<void> {
    const known = performance.now() - state.lastAt < 60_000 && state.lastLimit > 0;
    // until the service has named the limit, one request at a time (a cost above it is a 422)
    const take = known ? Math.min(state.queue.length, state.lastLimit) : Math.min(state.queue.length, 1);
    const batch = state.queue.splice(0, take);
    // a busy client that had to wait for this call gets a bigger lease next time
    if (take > 0 && state.grant && this.leaseWorthy(state, body, take)) state.leaseSize = Math.min(this.options.leaseMax, state.leaseSize * 2);
    const surplus = this.leaseWorthy(state, body, take)
      ? Math.min(state.leaseSize, state.lastRemaining - take - Math.floor(state.lastLimit / 2))
      : 0;
    let cost = take + surplus;
    if (cost === 0) return;
    const sentAt = performance.now();
    try {
      let decision = await this.call(state, surplus > 0 ? { ...body, cost, holdMs: this.options.leaseMs } : { ...body, cost });
      let leased = surplus;
      if (!decision.allowed && decision.remaining > 0 && take > 0 && cost > 1) {
        // not all of them fit: take exactly what is left, for the first in line
        cost = Math.min(take, decision.remaining);
        leased = 0;
        decision = await this.call(state, { ...body, cost });
      }
      if (decision.allowed) {
        const admitted = cost - leased;
        if (leased > 0) {
          // counted from before the call: the lease ends no later than the service dated it
          state.leases.push({ tokens: leased, deadline: sentAt + this.options.leaseMs });
        }
        state.grant = decision;
        state.grantedAt = performance.now();
        const held = this.held(state);
        batch.slice(0, admitted).forEach((w, i) => w.resolve(this.granted(decision, held + admitted - 1 - i, 0)));
        // those that did not fit go first in the next round
        state.queue.unshift(...batch.slice(admitted));
        return;
      }
      if (batch.length === 0) return;
      // nothing fits now: everyone waiting is refused, with the Retry-After of a single request
      if (cost > 1) decision = await this.call(state, body);
      const refused: Outcome = {
        allowed: decision.allowed,
        policy: decision.policy,
        source: 'service',
        headers: { ...decision.headers },
        retryAfterSeconds: decision.allowed ? 0 : seconds(decision.retryAfterMs),
      };
      for (const w of [...batch, ...state.queue.splice(0)]) w.resolve(refused);
    } catch (error) {
      if (!(error instanceof Unavailable)) {
        for (const w of batch) w.reject(error);
        return;
      }
      for (const w of batch) w.resolve({ ...this.options.local.decide(body.routeClass, body.subject), source: 'fallback' });
    }
  }

  /** The fields for an admission: what the service left, plus what this replica still holds. */
  private granted(decision: RateLimitDecision, heldHere: number, elapsed: number, source: DecisionSource = 'service'): Outcome {
    const states = decision.checks.map((c) => ({
      name: c.name,
      quota: c.limit,
      windowSeconds: c.windowSeconds,
      remaining: c.remaining + heldHere,
      resetMs: c.resetMs - elapsed,
    }));
    return { allowed: true, policy: decision.policy, source, headers: rateLimitFields(states, 0), retryAfterSeconds: 0 };
  }

  /** Spends one leased token, the one that expires first, or answers undefined. */
  private spend(state: ClientState, now: number): Outcome | undefined {
    while (state.leases.length > 0 && (state.leases[0]!.tokens === 0 || now >= state.leases[0]!.deadline)) {
      // a lease that expired unspent was too big for this client
      if (state.leases.shift()!.tokens > 0) state.leaseSize = Math.max(this.options.leaseSize, Math.floor(state.leaseSize / 2));
    }
    const lease = state.leases[0];
    if (!lease || !state.grant) return undefined;
    lease.tokens--;
    return this.granted(state.grant, this.held(state), now - state.grantedAt, 'lease');
  }

  private async call(state: ClientState, body: RateLimitDecideRequest): Promise<RateLimitDecision> {
    if (performance.now() < this.downUntil) throw new Unavailable('waiting before asking the service again');
    let decision: RateLimitDecision;
    try {
      decision = await this.options.ask(body);
    } catch (error) {
      this.downUntil = performance.now() + this.options.recheckMs;
      if (!this.down) {
        this.down = true;
        this.options.onAvailability(false, error);
      }
      throw new Unavailable(error instanceof Error ? error.message : String(error));
    }
    if (this.down) {
      this.down = false;
      this.options.onAvailability(true);
    }
    state.lastRemaining = decision.remaining;
    // the smallest limit that applies: a batch may never cost more (the service would answer 422)
    state.lastLimit = Math.min(...decision.checks.map((c) => c.limit), decision.limit);
    state.lastAt = performance.now();
    return decision;
  }

  /** Forgets clients not seen for a minute. */
  sweep(): void {
    const now = performance.now();
    for (const [key, state] of this.clients) {
      if (!state.busy && state.queue.length === 0 && now - state.lastAt > 60_000 && state.leases.every((l) => now >= l.deadline)) {
        this.clients.delete(key);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The plugin

const LIMITED = /^\/(api\/v1\/|\.well-known\/)/;
const POLICY_REFRESH_MS = 5 * 60_000;
const POLICY_RETRY_MS = 5_000;

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

    const local = new LocalLimiter(config.RATE_LIMIT_FALLBACK_REPLICAS);
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
      local,
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
          local.policies = (await res.json()) as PolicySetView;
          next = POLICY_REFRESH_MS;
        } else {
          await res.body?.cancel();
        }
      } catch {
        // the built-in policy stands until the service answers
      }
      policyTimer = setTimeout(() => void loadPolicies(), next);
      policyTimer.unref();
    };
    void loadPolicies();
    const sweeper = setInterval(() => {
      client.sweep();
      local.sweep();
    }, 10_000);
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
      // who: a valid token names the caller; anything else counts by address
      if (!request.auth && /^Bearer /.test(request.headers.authorization ?? '')) {
        try {
          await app.authenticate(request, reply);
        } catch {
          // the route refuses the token itself (401) when it needs one; here the caller is anonymous
          reply.removeHeader('www-authenticate');
        }
      }
      const auth = request.auth;
      const subject: RateLimitSubject = auth
        ? { kind: auth.kind, id: auth.sub, ...(auth.plan ? { plan: auth.plan } : {}), address: request.client.address }
        : { kind: 'anonymous', id: request.client.address, address: request.client.address };
      if (routeClass !== RateLimitRouteClasses.api) {
        // the refresh cookie names the account; its body says nothing
        const body = path === '/api/v1/auth/refresh' ? undefined : await bufferBody(request);
        const account = accountOf(routeClass, request.headers, body);
        if (account) subject.account = account;
      }
      const outcome = await client.decide(routeClass, subject);
      decisions.inc({ outcome: outcome.allowed ? 'allowed' : 'denied', source: outcome.source });
      request.rateLimitHeaders = outcome.headers;
      if (!outcome.allowed) {
        throw httpError(429, `Too many requests: policy "${outcome.policy}" allows no more now. Retry in ${outcome.retryAfterSeconds} s.`, {
          policy: outcome.policy,
          retryAfter: outcome.retryAfterSeconds,
        });
      }
    };

    // only the proxied routes pay for a decision; health, metrics and the UI are not limited here
    app.addHook('onRoute', (route) => {
      if (!LIMITED.test(route.url)) return;
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
