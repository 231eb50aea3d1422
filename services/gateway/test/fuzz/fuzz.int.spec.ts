import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { describeFailure, fuzz } from './run.js';

const stack = inject('stack');
/** 100 per operation in `npm test`; `npm run fuzz` runs 10,000 (README). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

describe('the fuzz of every public route (fast-check, from the OpenAPI document)', () => {
  it(`answers ${RUNS} generated requests per operation with no 5xx, only declared statuses and bodies, and no 2xx without credentials`, async () => {
    const summary = await fuzz(stack, { runs: RUNS, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) });
    // every operation of the document was fuzzed, each with all its cases
    expect(summary.operations.length).toBeGreaterThan(20);
    for (const op of summary.operations) if (!op.failure) expect(op.cases, op.key).toBe(RUNS);
    expect(summary.failures.map(describeFailure)).toEqual([]);
  }, 1_200_000);
});
