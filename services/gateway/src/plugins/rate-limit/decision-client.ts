import {
  type RateLimitDecideRequest,
  type RateLimitDecision,
  type RateLimitRouteClass,
  RateLimitRouteClasses,
  type RateLimitSubject,
} from '@strata/contracts';
import { type RateLimitHeaders, bindingFirst, rateLimitHeaders, toSeconds } from '@strata/service-kit/rate-policy';

export type DecisionSource = 'service' | 'lease' | 'fallback';

export interface Outcome {
  allowed: boolean;
  policy: string;
  source: DecisionSource;
  headers: RateLimitHeaders;
  retryAfterSeconds: number;
}

/** Milliseconds on a clock that never goes back (performance.now() in production). */
export type Clock = () => number;

/** What decides while the service does not answer (the local fallback). */
export interface Fallback {
  decide(routeClass: string, subject: RateLimitSubject): Omit<Outcome, 'source'>;
}

/** How long what the service said about a client's limit is believed (the windows are a minute). */
const KNOWN_FOR_MS = 60_000;

interface Waiter {
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

interface Lease {
  /** Tokens not spent yet. */
  tokens: number;
  /** The clock's time after which none of them may be spent. */
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
  /** One call to the ratelimit service (POST /v1/decide); throws when it does not answer 200. */
  ask: (body: RateLimitDecideRequest) => Promise<RateLimitDecision>;
  fallback: Fallback;
  clock: Clock;
  /** The first lease of a client; later ones adapt between this and `leaseMax`. */
  leaseSize: number;
  leaseMax: number;
  leaseMs: number;
  /** After a failed call, how long the fallback decides alone before the service is asked again. */
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
  private readonly now: Clock;

  constructor(private readonly options: DecisionClientOptions) {
    this.now = options.clock;
  }

  get degraded(): boolean {
    return this.down;
  }

  decide(routeClass: RateLimitRouteClass, subject: RateLimitSubject): Promise<Outcome> {
    const body: RateLimitDecideRequest = { routeClass, subject };
    const client = this.stateOf([routeClass, subject.kind, subject.id, subject.plan, subject.address, subject.account].join('|'));
    const spent = this.spend(client, this.now());
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

  private stateOf(key: string): ClientState {
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
    return state;
  }

  private held(state: ClientState): number {
    return state.leases.reduce((sum, l) => sum + l.tokens, 0);
  }

  private known(state: ClientState): boolean {
    return this.now() - state.lastAt < KNOWN_FOR_MS && state.lastLimit > 0;
  }

  private leaseWorthy(state: ClientState, body: RateLimitDecideRequest, take: number): boolean {
    if (this.options.leaseSize <= 1 || body.routeClass !== RateLimitRouteClasses.api) return false;
    if (!this.known(state) || this.now() < this.downUntil) return false;
    return state.lastRemaining - take - this.options.leaseSize >= Math.floor(state.lastLimit / 2);
  }

  private async drain(state: ClientState, body: RateLimitDecideRequest): Promise<void> {
    state.busy = true;
    try {
      let refill = state.queue.length === 0;
      while (state.queue.length > 0 || refill) {
        const now = this.now();
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
    // until the service has named the limit, one request at a time (a cost above it is a 422)
    const take = Math.min(state.queue.length, this.known(state) ? state.lastLimit : 1);
    const batch = state.queue.splice(0, take);
    // a busy client that had to wait for this call gets a bigger lease next time
    if (take > 0 && state.grant && this.leaseWorthy(state, body, take)) state.leaseSize = Math.min(this.options.leaseMax, state.leaseSize * 2);
    const surplus = this.leaseWorthy(state, body, take)
      ? Math.min(state.leaseSize, state.lastRemaining - take - Math.floor(state.lastLimit / 2))
      : 0;
    let cost = take + surplus;
    if (cost === 0) return;
    const sentAt = this.now();
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
        state.grantedAt = this.now();
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
        retryAfterSeconds: decision.allowed ? 0 : toSeconds(decision.retryAfterMs),
      };
      for (const w of [...batch, ...state.queue.splice(0)]) w.resolve(refused);
    } catch (error) {
      if (!(error instanceof Unavailable)) {
        for (const w of batch) w.reject(error);
        return;
      }
      for (const w of batch) w.resolve({ ...this.options.fallback.decide(body.routeClass, body.subject), source: 'fallback' });
    }
  }

  /** The fields for an admission: what the service left, plus what this replica still holds. */
  private granted(decision: RateLimitDecision, heldHere: number, elapsed: number, source: DecisionSource = 'service'): Outcome {
    const states = decision.checks.map((c) => ({
      name: c.name,
      limit: c.limit,
      windowSeconds: c.windowSeconds,
      remaining: c.remaining + heldHere,
      resetMs: c.resetMs - elapsed,
      retryAfterMs: 0,
    }));
    return { allowed: true, policy: decision.policy, source, headers: rateLimitHeaders(bindingFirst(states, true)), retryAfterSeconds: 0 };
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
    if (this.now() < this.downUntil) throw new Unavailable('waiting before asking the service again');
    let decision: RateLimitDecision;
    try {
      decision = await this.options.ask(body);
    } catch (error) {
      this.downUntil = this.now() + this.options.recheckMs;
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
    state.lastAt = this.now();
    return decision;
  }

  /** Forgets clients not seen for a while. */
  sweep(): void {
    const now = this.now();
    for (const [key, state] of this.clients) {
      if (!state.busy && state.queue.length === 0 && now - state.lastAt > KNOWN_FOR_MS && state.leases.every((l) => now >= l.deadline)) {
        this.clients.delete(key);
      }
    }
  }
}
