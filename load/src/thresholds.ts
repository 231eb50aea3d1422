/** k6-style thresholds: `'http_req_duration{route:me}': ['p(95)<300']`. */

export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ParsedThreshold {
  /** The key as written, e.g. `http_req_duration{route:me}`. */
  key: string;
  expression: string;
  metric: string;
  route: string | undefined;
  /** `p(95)`, `avg`, `med`, `min`, `max`, `rate`, `count`. */
  stat: string;
  op: Op;
  value: number;
}

const KEY = /^([a-z_]+)(?:\{route:([a-z-]+)\})?$/;
const EXPR = /^\s*(p\(\d+(?:\.\d+)?\)|avg|med|min|max|rate|count)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseThreshold(key: string, expression: string): ParsedThreshold {
  const k = KEY.exec(key);
  if (!k) throw new Error(`threshold key "${key}": expected metric or metric{route:kind}`);
  const e = EXPR.exec(expression);
  if (!e) throw new Error(`threshold "${key}: ${expression}": expected e.g. p(95)<300, rate<0.01, count<1`);
  return { key, expression: expression.replace(/\s+/g, ''), metric: k[1]!, route: k[2], stat: e[1]!, op: e[2] as Op, value: Number(e[3]) };
}

export function parseThresholds(thresholds: Record<string, string[]>): ParsedThreshold[] {
  return Object.entries(thresholds).flatMap(([key, exprs]) => exprs.map((x) => parseThreshold(key, x)));
}

function compare(actual: number, op: Op, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
    default: {
      const never: never = op;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

export interface ThresholdResult extends ParsedThreshold {
  /** undefined: the metric was not measured in this run (a route that was skipped, or no sample). */
  actual: number | undefined;
  /** 'not-measured' does not fail the run, and the summary says so. */
  verdict: 'pass' | 'fail' | 'not-measured';
}

/** Looks a statistic up; undefined when the run has no sample for it. */
export type MetricLookup = (metric: string, route: string | undefined, stat: string) => number | undefined;

export function evaluateThresholds(parsed: readonly ParsedThreshold[], lookup: MetricLookup): ThresholdResult[] {
  return parsed.map((t) => {
    const actual = lookup(t.metric, t.route, t.stat);
    if (actual === undefined || Number.isNaN(actual)) return { ...t, actual: undefined, verdict: 'not-measured' as const };
    return { ...t, actual, verdict: compare(actual, t.op, t.value) ? ('pass' as const) : ('fail' as const) };
  });
}
