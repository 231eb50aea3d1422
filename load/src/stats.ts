/** Latency statistics: exact percentiles over kept samples (runs are bounded, so samples are too). */

/** Percentile by linear interpolation between closest ranks (what k6 reports); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (sorted.length === 1) return sorted[0]!;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface LatencySummary {
  count: number;
  min: number;
  avg: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarise(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    avg: sorted.length ? sum / sorted.length : Number.NaN,
    med: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** How an answer counts: 429 is the limiter working, reported apart from errors. */
export type Outcome = 'ok' | 'limited' | 'error';

export function classify(status: number, expected: readonly number[]): Outcome {
  if (expected.includes(status)) return 'ok';
  if (status === 429) return 'limited';
  return 'error';
}
