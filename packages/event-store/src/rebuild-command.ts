import type { Kysely } from 'kysely';
import type { RebuildOptions } from './handler.js';
import pg from 'pg';
import { EventStore, kyselyFromPool } from './store.js';

/** One read model an operator may rebuild: its name and how to replay the log into it. */
export interface RebuildTarget {
  name: string;
  rebuild(options?: RebuildOptions<unknown>): Promise<number>;
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

export interface RebuildCommandOptions {
  /** The service, as messages and the connection's application_name say it. */
  service: string;
  /** The service's schema: its event store and read models. */
  schema: string;
  /** The service's read-model migrations, run first (a rebuild of a table that does not exist yet would fail). */
  migrate(db: Kysely<unknown>): Promise<void>;
  /** What may be rebuilt, given the store and the database. */
  targets(store: EventStore, db: Kysely<unknown>): readonly RebuildTarget[];
}

/**
 * A service's whole `rebuild` operator command: `npm run rebuild -w @strata/<service> -- [name...]`
 * with DATABASE_URL set to the service's database (the server itself, not a transaction pooler:
 * a rebuild holds its projection's lock for its whole transaction). Replicas keep serving the old
 * rows until each rebuild commits. Sets the process's exit code (runRebuild's).
 */
export async function rebuildCommand(opts: RebuildCommandOptions, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write(`DATABASE_URL is not set: give the ${opts.service} database (postgres://...)\n`);
    process.exitCode = 2;
    return;
  }
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: `${opts.service}-rebuild` });
  try {
    const db = kyselyFromPool(pool) as Kysely<unknown>;
    await opts.migrate(db);
    const store = await EventStore.open({ db, schema: opts.schema });
    process.exitCode = await runRebuild(opts.targets(store, db), args);
  } finally {
    await pool.end();
  }
}
