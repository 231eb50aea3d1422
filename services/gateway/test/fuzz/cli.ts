/**
 * `npm run fuzz`: the property-based fuzz of every public route, 10,000 cases per operation by
 * default, on a test stack of its own (as `npm test` starts one: STRATA_TEST_PORT_OFFSET,
 * STRATA_TEST_DATABASE, STRATA_TEST_REDIS_DB).
 *
 *   --runs N      cases per operation (FUZZ_RUNS; default 10000)
 *   --route TEXT  only operations whose "METHOD /path" contains TEXT
 *   --seed N      fast-check's seed (FUZZ_SEED; random by default, printed)
 *   --path P      with --seed and --route: replay one counterexample
 */
import { startTestStack, stopTestStack } from '@strata/dev/test-stack';
import { type FuzzSummary, describeFailure, fuzz } from './run.js';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function integer(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a whole number, got "${text}"`);
  return Number(text);
}

export function summaryText(summary: FuzzSummary): string {
  const statuses = Object.entries(summary.statuses).sort(([a], [b]) => Number(a) - Number(b)).map(([s, n]) => `${s}×${n}`).join(' ');
  return [
    `fuzz: ${summary.operations.length} operations, ${summary.cases} cases (${summary.operations.reduce((n, o) => n + o.requests, 0)} requests), ${summary.failures.length} failing, seed ${summary.seed}, ${Math.round(summary.ms / 1000)} s`,
    `statuses: ${statuses}`,
    `fixtures made again: ${summary.fixturesRemade}`,
    ...summary.failures.map(describeFailure),
  ].join('\n');
}

async function main(args: string[]): Promise<number> {
  const runs = integer(option(args, '--runs') ?? process.env.FUZZ_RUNS, '--runs') ?? 10_000;
  const seed = integer(option(args, '--seed') ?? process.env.FUZZ_SEED, '--seed');
  const route = option(args, '--route');
  const path = option(args, '--path');
  process.stdout.write(`starting a test stack (port offset ${process.env.STRATA_TEST_PORT_OFFSET ?? 10_000}, database ${process.env.STRATA_TEST_DATABASE ?? 'strata_test'})\n`);
  const { stack, info } = await startTestStack();
  // Ctrl-C stops the stack too (its logs stay in .strata for reading)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopTestStack(stack, true).finally(() => process.exit(130)));
  let failed = true;
  try {
    const summary = await fuzz(info, {
      runs,
      ...(seed !== undefined ? { seed } : {}),
      ...(route ? { route } : {}),
      ...(path ? { path } : {}),
      onOperation: (r) => {
        const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
        process.stdout.write(`${r.failure ? 'FAIL' : 'ok  '} ${r.key.padEnd(48)} ${String(r.cases).padStart(6)} cases ${String(Math.round(r.ms / 1000)).padStart(5)} s  ${statuses}\n`);
        if (r.failure) process.stdout.write(`${describeFailure(r)}\n`);
      },
    });
    process.stdout.write(`\n${summaryText(summary)}\n`);
    failed = summary.failures.length > 0;
  } finally {
    await stopTestStack(stack, failed);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
