import { inject, describe, expect, it } from 'vitest';
import type {} from '@strata/testing';
import smoke from '../scenarios/smoke.js';
import { runScenario } from '../src/runner.js';
import { renderSummary } from '../src/summary.js';

describe('load: smoke', () => {
  it('runs every request kind at a low rate against the test stack and holds its thresholds', async () => {
    const { gatewayUrl } = inject('stack');
    const result = await runScenario(smoke({}), { target: gatewayUrl });
    const summary = renderSummary(result);
    // the summary is the failure message: which threshold, which route, which statuses
    expect(result.thresholds.filter((t) => t.verdict === 'fail'), summary).toEqual([]);
    expect(result.totals.requests, summary).toBeGreaterThan(50);
    expect(result.routes.find((r) => r.kind === 'me')?.ok, summary).toBeGreaterThan(0);
  }, 60_000);
});
