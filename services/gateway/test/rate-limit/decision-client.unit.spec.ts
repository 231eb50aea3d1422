import type { RateLimitDecideRequest, RateLimitDecision } from '@strata/contracts';
import { rateLimitHeaders } from '@strata/service-kit/rate-policy';
import { describe, expect, it } from 'vitest';
import { DecisionClient, type DecisionClientOptions, type Outcome } from '../../src/plugins/rate-limit/decision-client.js';
import { LocalLimiter } from '../../src/plugins/rate-limit/fallback.js';

/**
 * The ratelimit service as the decision client sees it: one limit whose window never passes
 * (the tests hold the clock), all or nothing per call. `hold()` keeps calls waiting until
 * `release()`, so requests can be made to queue behind one.
 */
class FakeService {
  readonly calls: RateLimitDecideRequest[] = [];
  failing = false;
  private taken = 0;
  private gate: (() => void)[] | undefined;

  constructor(private readonly limit: number) {}

  readonly ask = async (body: RateLimitDecideRequest): Promise<RateLimitDecision> => {
    this.calls.push(body);
    const gate = this.gate;
    if (gate) await new Promise<void>((open) => gate.push(open));
    if (this.failing) throw new Error('connect ECONNREFUSED');
    const cost = body.cost ?? 1;
    const allowed = cost <= this.limit - this.taken;
    if (allowed) this.taken += cost;
    const remaining = this.limit - this.taken;
    const retryAfterMs = allowed ? 0 : 30_000;
    const check = { name: 'default', by: 'subject' as const, limit: this.limit, windowSeconds: 60, allowed, remaining, resetMs: 60_000, retryAfterMs };
    return {
      allowed,
      policy: 'default',
      limit: this.limit,
      remaining,
      resetMs: 60_000,
      retryAfterMs,
      cost,
      checks: [check],
      headers: rateLimitHeaders([check], retryAfterMs),
    };
  };

  hold(): void {
    this.gate = [];
  }

  release(): void {
    const waiting = this.gate ?? [];
    this.gate = undefined;
    for (const open of waiting) open();
  }

  /** What each call took: its cost, and its hold when it was a lease. */
  costs(): (number | [number, number] | undefined)[] {
    return this.calls.map((c) => (c.holdMs ? [c.cost!, c.holdMs] : c.cost));
  }
}

const user = { kind: 'user' as const, id: 'u-1', address: '10.0.0.1' };

function setup(limit: number, options: Partial<DecisionClientOptions> = {}) {
  const service = new FakeService(limit);
  const clock = { now: 0 };
  const availability: boolean[] = [];
  const client = new DecisionClient({
    ask: service.ask,
    fallback: new LocalLimiter(3, () => clock.now),
    clock: () => clock.now,
    leaseSize: 10,
    leaseMax: 40,
    leaseMs: 1_000,
    recheckMs: 1_000,
    onAvailability: (up) => availability.push(up),
    ...options,
  });
  const one = () => client.decide('api', user);
  const burst = (n: number) => Promise.all(Array.from({ length: n }, one));
  /** `n` requests at once, all but the first queued behind its call. */
  const queued = (n: number) => {
    service.hold();
    const answers = burst(n);
    service.release();
    return answers;
  };
  return { service, clock, availability, client, one, burst, queued };
}

/** Lets the calls the client starts by itself (top-ups) finish: they only wait on promises. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const remainingOf = (o: Outcome) => Number(/r=(\d+)/.exec(o.headers.RateLimit)![1]);

describe('the decision client: leases', () => {
  it('asks for one request until the service named the limit, then leases, tops up at half, and stops leasing below half the limit', async () => {
    const { service, one } = setup(100);
    const answers: Outcome[] = [];
    for (let i = 0; i < 60; i++) {
      answers.push(await one());
      await settle();
    }
    expect(answers.every((a) => a.allowed)).toBe(true);
    // every admission counted where it was granted: remaining goes down one by one
    expect(answers.map(remainingOf)).toEqual(Array.from({ length: 60 }, (_, i) => 99 - i));
    expect(answers.slice(0, 2).map((a) => a.source)).toEqual(['service', 'service']);
    expect(answers.slice(2, 42).every((a) => a.source === 'lease')).toBe(true);
    expect(answers.slice(42).every((a) => a.source === 'service')).toBe(true);
    expect(service.costs()).toEqual([
      1, // the limit is not known yet
      [21, 1_000], // the second request waited for a call: the lease doubles to 20
      [20, 1_000], // topped up when fewer than half of the 20 were left
      // 58 left: another lease would take the client below half its limit, so each request asks
      ...Array.from({ length: 18 }, () => 1),
    ]);
  });

  it('grows a lease while requests wait for calls, up to the maximum, and halves it when one expires unspent', async () => {
    const { service, clock, one, burst } = setup(10_000);
    await burst(100);
    expect(service.costs()).toEqual([1, [99 + 20, 1_000]]);
    // 20 spent at once, a top-up of 20 while the rest wait, then 60 + a lease of 40 (doubled)
    await burst(100);
    expect(service.costs().slice(2)).toEqual([[20, 1_000], [60 + 40, 1_000]]);
    // again, and the lease stays at the maximum
    await burst(100);
    expect(service.costs().slice(4)).toEqual([[40, 1_000], [20 + 40, 1_000]]);

    // spend 21 of the 40 at 500 ms: the top-up's lease ends at 1,500 ms, the first at 1,000 ms
    clock.now = 500;
    for (let i = 0; i < 21; i++) expect((await one()).source).toBe('lease');
    await settle();
    expect(service.costs().slice(6)).toEqual([[40, 1_000]]);
    // the first lease expires with 19 tokens unspent: the next lease is half as big
    clock.now = 1_000;
    for (let i = 0; i < 31; i++) expect((await one()).source).toBe('lease');
    await settle();
    expect(service.costs().slice(7)).toEqual([[20, 1_000]]);
  });

  it('never shrinks a lease below the first size', async () => {
    const { service, clock, one } = setup(10_000);
    await one();
    await one(); // waited: a lease of 20, ending at 1,000 ms
    clock.now = 500;
    for (let i = 0; i < 11; i++) await one();
    await settle(); // topped up with 20, ending at 1,500 ms
    clock.now = 1_000;
    await one(); // the first lease expired with 9 unspent: 10
    clock.now = 1_500;
    await one(); // the second expired with 19 unspent: still 10, not 5; this request waited: 20
    expect(service.costs()).toEqual([1, [21, 1_000], [20, 1_000], [21, 1_000]]);
  });
});

describe('the decision client: batching', () => {
  it('decides the requests that queued behind a call with one call when they all fit', async () => {
    const { service, queued } = setup(100, { leaseSize: 1 });
    const outcomes = await queued(10);
    expect(outcomes.every((o) => o.allowed && o.source === 'service')).toBe(true);
    expect(outcomes.map(remainingOf)).toEqual([99, 98, 97, 96, 95, 94, 93, 92, 91, 90]);
    expect(service.costs()).toEqual([1, 9]);
  });

  it('admits exactly as many as still fit, first come first served, and refuses the rest with the Retry-After of one request', async () => {
    const { service, queued } = setup(5, { leaseSize: 1 });
    const outcomes = await queued(8);
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    expect(outcomes.slice(5).every((o) => o.retryAfterSeconds === 30 && o.headers['Retry-After'] === '30')).toBe(true);
    // 5 asked for 7 → refused with 4 left → those 4 → then 3 → refused with none left → one request's answer
    expect(service.costs()).toEqual([1, 5, 4, 3, undefined]);
  });

  it('costs a handful of calls for a burst of 1,000, and admits exactly the limit', async () => {
    const { service, burst } = setup(100);
    const outcomes = await burst(1_000);
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(100);
    expect(service.costs()).toEqual([1, 100, 99, 100, undefined]);
  });
});

describe('the decision client: when the service does not answer', () => {
  it('lets the fallback decide, asks again only after the recheck delay, and says when the service is back', async () => {
    const { service, clock, availability, client, one } = setup(100);
    service.failing = true;
    const first = await one();
    expect(first).toMatchObject({ allowed: true, source: 'fallback', headers: { 'RateLimit-Policy': '"default";q=33;w=60' } });
    expect(client.degraded).toBe(true);
    expect(availability).toEqual([false]);

    clock.now = 999;
    expect((await one()).source).toBe('fallback');
    // within the recheck delay nothing is sent: a dead service is not hammered
    expect(service.calls).toHaveLength(1);

    clock.now = 1_000;
    service.failing = false;
    const back = await one();
    expect(back).toMatchObject({ allowed: true, source: 'service' });
    expect(service.calls).toHaveLength(2);
    expect(client.degraded).toBe(false);
    expect(availability).toEqual([false, true]);
  });

  it('counts what the fallback admitted against its own share of the limit', async () => {
    const { service, one } = setup(100);
    service.failing = true;
    const answers: Outcome[] = [];
    for (let i = 0; i < 40; i++) answers.push(await one());
    expect(answers.filter((a) => a.allowed)).toHaveLength(33);
    expect(answers.every((a) => a.source === 'fallback')).toBe(true);
    expect(answers[33]).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
  });
});
