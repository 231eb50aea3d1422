// What the test stack gives the tests (vitest inject('stack')), defined once beside the launcher
// that provides it; importing this brings the typing of inject('stack') along.
export type { TestStackInfo } from '@strata/dev/provided-context';
