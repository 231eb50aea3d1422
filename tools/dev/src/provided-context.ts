// Kept for imports written before the types moved to @strata/testing.
export type { TestStackInfo } from '@strata/testing';
