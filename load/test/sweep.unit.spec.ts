import { describe, expect, it } from 'vitest';
import { nextRate } from '../src/capacity.js';
import { parseRequestCounters } from '../src/replicas.js';

const s = { startRate: 8, factor: 1.5, ceilingRate: 600, stepS: 15, pauseS: 4, maxSteps: 12, refineSteps: 3, maxMinutes: 12 };
type P = { phase: 'coarse' | 'confirm' | 'refine'; rate: number; passed: boolean };

describe('capacity sweep', () => {
  it('starts at the start rate and climbs by the factor while steps hold', () => {
    expect(nextRate([], s)).toEqual({ rate: 8, phase: 'coarse' });
    expect(nextRate([{ phase: 'coarse', rate: 8, passed: true }], s)).toEqual({ rate: 12, phase: 'coarse' });
  });
  it('confirms a first break, and climbs on when the confirmation held (one bad step is noise)', () => {
    const steps: P[] = [{ phase: 'coarse', rate: 8, passed: true }, { phase: 'coarse', rate: 12, passed: false }];
    expect(nextRate(steps, s)).toEqual({ rate: 12, phase: 'confirm' });
    expect(nextRate([...steps, { phase: 'confirm', rate: 12, passed: true }], s)).toEqual({ rate: 18, phase: 'coarse' });
  });
  it('bisects between the highest rate held and a confirmed break, then stops', () => {
    const steps: P[] = [{ phase: 'coarse', rate: 100, passed: true }, { phase: 'coarse', rate: 150, passed: false }, { phase: 'confirm', rate: 150, passed: false }];
    expect(nextRate(steps, s)).toEqual({ rate: 122.5, phase: 'refine' });
    steps.push({ phase: 'refine', rate: 122.5, passed: true });
    expect(nextRate(steps, s)?.rate).toBe(135.6);
    steps.push({ phase: 'refine', rate: 135.6, passed: false });
    expect(nextRate(steps, s)?.rate).toBe(128.9);
    steps.push({ phase: 'refine', rate: 128.9, passed: true });
    expect(nextRate(steps, s)).toBeUndefined();
  });
  it('stops at the ceiling or when nothing held', () => {
    expect(nextRate([{ phase: 'coarse', rate: 600, passed: true }], s)).toBeUndefined();
    expect(nextRate([{ phase: 'coarse', rate: 500, passed: true }], s)).toEqual({ rate: 600, phase: 'coarse' });
    expect(nextRate([{ phase: 'coarse', rate: 8, passed: false }, { phase: 'confirm', rate: 8, passed: false }], s)).toBeUndefined();
  });
});

describe('request counters', () => {
  it('keys http_requests_total by method, route and status, without health and metrics', () => {
    const text = [
      'http_requests_total{method="PATCH",route="/api/v1/files/:id",status="412",app="files"} 7',
      'http_requests_total{method="PATCH",route="/api/v1/files/:id",status="200",app="files"} 1',
      'http_requests_total{method="GET",route="/health/ready",status="200",app="files"} 9',
    ].join('\n');
    const m = parseRequestCounters(text);
    expect(m.get('PATCH /api/v1/files/:id 412')).toBe(7);
    expect(m.get('PATCH /api/v1/files/:id 200')).toBe(1);
    expect(m.size).toBe(2);
  });
});
