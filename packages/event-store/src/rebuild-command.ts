/** One read model an operator may rebuild: its name and how to replay the log into it. */
export interface RebuildTarget {
  name: string;
  rebuild(): Promise<number>;
}

export interface RebuildOutput {
  out(line: string): void;
  err(line: string): void;
}

const console_: RebuildOutput = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/**
 * The body of a service's `rebuild` command: rebuilds the read models named in `args` (all of
 * them when none is named), one after the other, and says how many events each replayed and how
 * long it took. Returns the exit code: 0, 2 for a name the service does not have (nothing is
 * rebuilt then), 1 when a rebuild failed (its transaction rolled back: the old rows stay).
 */
export async function runRebuild(targets: readonly RebuildTarget[], args: readonly string[], io: RebuildOutput = console_): Promise<number> {
  const names = targets.map((t) => t.name);
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: rebuild [${names.join('|')}]...   (no name: every read model)`);
    return 0;
  }
  const unknown = args.filter((a) => !names.includes(a));
  if (unknown.length > 0) {
    io.err(`unknown read model ${unknown.map((u) => `"${u}"`).join(', ')}; this service has: ${names.join(', ')}`);
    return 2;
  }
  const chosen = args.length === 0 ? targets : targets.filter((t) => args.includes(t.name));
  for (const target of chosen) {
    const started = performance.now();
    try {
      const events = await target.rebuild();
      io.out(`${target.name}: rebuilt from ${events} events in ${Math.round(performance.now() - started)} ms`);
    } catch (err) {
      io.err(`${target.name}: rebuild failed, nothing changed (${err instanceof Error ? err.message : String(err)})`);
      return 1;
    }
  }
  return 0;
}
