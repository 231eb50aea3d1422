import { describe, expect, it } from 'vitest';
import { parseRequestsTotal, parseRssMiB, parseStatTicks } from '../src/procstat.js';
import { arrivalsBy, rateAt, weightedPick } from '../src/schedule.js';
import { classify, percentile } from '../src/stats.js';
import { evaluateThresholds, parseThreshold, parseThresholds } from '../src/thresholds.js';

describe('arrival schedule', () => {
  const stages = [{ durationS: 10, targetRate: 20 }, { durationS: 10, targetRate: 20 }];
  it('ramps the rate linearly from the start rate', () => {
    expect(rateAt(0, stages, 5)).toBe(10);
    expect(rateAt(0, stages, 15)).toBe(20);
    expect(rateAt(0, stages, 25)).toBe(0);
  });
  it('counts arrivals as the area under the rate', () => {
    expect(arrivalsBy(0, stages, 10)).toBe(100);
    expect(arrivalsBy(0, stages, 20)).toBe(300);
    expect(arrivalsBy(0, stages, 99)).toBe(300);
  });
  it('picks kinds by weight', () => {
    const w = [['a', 1], ['b', 3]] as const;
    expect(weightedPick(w, 0.2)).toBe('a');
    expect(weightedPick(w, 0.3)).toBe('b');
  });
});

describe('statistics', () => {
  it('interpolates percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([10, 20], 95)).toBeCloseTo(19.5);
  });
  it('counts 429 apart from errors', () => {
    expect(classify(200, [200])).toBe('ok');
    expect(classify(429, [200])).toBe('limited');
    expect(classify(503, [200])).toBe('error');
  });
});

describe('thresholds', () => {
  it('parses k6 expressions', () => {
    expect(parseThreshold('http_req_duration{route:me}', 'p(95)<300')).toMatchObject({ metric: 'http_req_duration', route: 'me', stat: 'p(95)', op: '<', value: 300 });
    expect(() => parseThreshold('http_req_duration', 'p95 under 300')).toThrow(/expected/);
  });
  it('passes, fails, and says when nothing was measured', () => {
    const parsed = parseThresholds({ http_req_failed: ['rate<0.01'], 'http_req_duration{route:list}': ['p(95)<100'], http_req_duration: ['p(95)<100'] });
    const results = evaluateThresholds(parsed, (metric, route) => (route ? undefined : metric === 'http_req_failed' ? 0.02 : 50));
    expect(results.map((r) => r.verdict)).toEqual(['fail', 'not-measured', 'pass']);
  });
});

describe('/proc and /metrics parsing', () => {
  it('reads utime + stime past a process name with spaces', () => {
    expect(parseStatTicks('123 (my proc) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0')).toBe(300);
  });
  it('reads VmRSS', () => {
    expect(parseRssMiB('Name:\tnode\nVmRSS:\t  204800 kB\n')).toBe(200);
  });
  it('sums http_requests_total without health and metrics', () => {
    const text = [
      '# TYPE http_requests_total counter',
      'http_requests_total{method="GET",route="/api/v1/me",status="200",app="sessions"} 7',
      'http_requests_total{method="GET",route="/health/ready",status="200",app="sessions"} 90',
      'http_requests_total{method="POST",route="/api/v1/auth/login",status="200",app="sessions"} 3',
    ].join('\n');
    expect(parseRequestsTotal(text)).toBe(10);
  });
});
