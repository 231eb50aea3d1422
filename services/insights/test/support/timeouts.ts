/**
 * The time a test that starts real worker threads (pdf.js, tesseract.js) may take: their start-up
 * alone passes vitest's 5 s default on a loaded 2-core machine, where the jobs' own limits (the
 * budgets these tests check) are what must hold, not how fast the machine is.
 */
export const WORKER_TEST_TIMEOUT_MS = 30_000;
