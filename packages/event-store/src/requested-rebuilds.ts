import { type Kysely, sql } from 'kysely';
import type { RebuildTarget } from './rebuild-command.js';

/**
 * The table, in a service's schema, where a migration asks for read models to be rebuilt once:
 * one row per projection name. A migration may write rows but never runs application code, so a
 * new read model over events stored before it (a history table, say) starts empty; the row is how
 * it says "fill me from the log", and the service does it when it starts (runRequestedRebuilds).
 */
export const REBUILD_REQUEST_TABLE = 'rebuild_request';

export interface RequestedRebuild {
  name: string;
  /** Events replayed into it; 0 as well when another replica had done it first (`ran` false). */
  events: number;
  ran: boolean;
  ms: number;
}

/** The read models the service's migrations asked to rebuild and that are not rebuilt yet. */
export async function requestedRebuilds(db: Kysely<unknown>, schema: string): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const found = await sql<{ present: boolean }>`select to_regclass(${`${schema}.${REBUILD_REQUEST_TABLE}`}) is not null as present`.execute(db);
  if (!found.rows[0]?.present) return [];
  const { rows } = await sql<{ projection: string }>`select projection from ${sql.table(`${schema}.${REBUILD_REQUEST_TABLE}`)} order by requested_at, projection`.execute(db);
  return rows.map((r) => r.projection);
}

/**
 * Rebuilds, one after the other, the read models the service's migrations asked for, and forgets
 * each request in the rebuild's own transaction: a replica that dies midway leaves the request
 * (and the old rows) for the next start, and replicas starting together do it once (the rebuild's
 * lock, then the request gone). A service runs it once it is up, not ready until it is done
 * (its start-up probe would kill a long replay), and refuses what reads the read model meanwhile.
 * A request naming a read model the service does not have is an error: a migration and the code
 * disagree.
 */
export async function runRequestedRebuilds(db: Kysely<unknown>, schema: string, targets: readonly RebuildTarget[]): Promise<RequestedRebuild[]> {
  const table = sql.table(`${schema}.${REBUILD_REQUEST_TABLE}`);
  const done: RequestedRebuild[] = [];
  for (const projection of await requestedRebuilds(db, schema)) {
    const target = targets.find((t) => t.name === projection);
    if (!target) {
      throw new Error(`${schema}: a migration asks to rebuild "${projection}", which this service does not have (it has ${targets.map((t) => t.name).join(', ')})`);
    }
    const started = performance.now();
    let ran = false;
    const events = await target.rebuild({
      onlyIf: async (trx) => {
        const taken = await sql`delete from ${table} where projection = ${projection} returning projection`.execute(trx);
        ran = taken.rows.length > 0;
        return ran;
      },
    });
    done.push({ name: projection, events, ran, ms: Math.round(performance.now() - started) });
  }
  return done;
}
