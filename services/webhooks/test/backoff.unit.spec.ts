import { describe, expect, it } from 'vitest';
import { nextAttemptAt } from '../src/delivery/backoff.js';

const HOUR = 3_600_000;
const real = { baseMs: 30_000, maxMs: 2 * HOUR, horizonMs: 24 * HOUR };

describe('retries with exponential backoff and jitter over 24 h, then dead', () => {
  it('each delay doubles up to the cap, drawn below it (full jitter)', () => {
    const start = new Date(0);
    const delays = [1, 2, 3, 4, 10, 20].map((n) => nextAttemptAt(n, start, start, real, 1 - 1e-12)!.getTime());
    expect(delays.slice(0, 4)).toEqual([29_999, 59_999, 119_999, 239_999]);
    expect(delays[4]).toBe(2 * HOUR - 1);
    expect(delays[5]).toBe(2 * HOUR - 1);
    // a low draw is not zero: a tenth of the delay at least
    expect(nextAttemptAt(3, start, start, real, 0)!.getTime()).toBe(12_000);
    const draws = new Set(Array.from({ length: 50 }, () => nextAttemptAt(5, start, start, real, Math.random())!.getTime()));
    expect(draws.size).toBeGreaterThan(40);
  });

  it('a delivery failing every time is tried over about a day, then is dead', () => {
    const start = new Date(0);
    let now = start;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttemptAt(attempts, start, now, real, 0.5);
      if (!next) break;
      now = next;
    }
    expect(now.getTime()).toBeLessThanOrEqual(24 * HOUR);
    expect(now.getTime()).toBeGreaterThan(22 * HOUR);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(40);
  });

  it('the horizon counts from the start (a redelivery starts it again)', () => {
    expect(nextAttemptAt(1, new Date(0), new Date(24 * HOUR - 1_000), real, 0.5)).toBeNull();
    expect(nextAttemptAt(1, new Date(24 * HOUR - 1_000), new Date(24 * HOUR - 1_000), real, 0.5)).not.toBeNull();
  });
});
