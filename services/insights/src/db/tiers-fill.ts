import { type Kysely, sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from './schema.js';

/** Where the fill says how it went (the app's logger). */
export interface FillLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Documents given their tiers per transaction: a short lock on each, search goes on beside it. */
const BATCH = 200;

/**
 * Gives the documents indexed before the search tiers existed their tiers
 * (`insights.refresh_search_docs`, 200 per transaction, in file-id order from where the last
 * batch stopped: `insights.search_tiers_fill`, written by migration 20261203T010000_search_tiers
 * and deleted with the last batch). Replicas take turns on the progress row; one that dies
 * leaves it for the others or the next start. Until a document has its tiers, a search of a very
 * common word may leave it out of the documents it ranks (it still matches, and is counted); no
 * other answer changes. A failed batch is tried again after 1 s, doubling to a minute.
 */
export async function fillSearchTiers(db: Kysely<Database>, log: FillLog, signal: AbortSignal): Promise<void> {
  let filled = 0;
  for (let failures = 0; !signal.aborted; ) {
    try {
      const done = await db.transaction().execute(async (trx) => {
        const progress = await sql<{ after: string }>`select after from insights.search_tiers_fill where id = 1 for update`.execute(trx);
        const after = progress.rows[0]?.after;
        if (after === undefined) return true;
        const ids = await sql<{ file_id: string }>`
          select file_id from insights.search_docs where indexed and file_id > ${after}::uuid order by file_id limit ${BATCH}`.execute(trx);
        if (ids.rows.length === 0) {
          await sql`delete from insights.search_tiers_fill where id = 1`.execute(trx);
          return true;
        }
        await sql`select insights.refresh_search_docs(${ids.rows.map((r) => r.file_id)}::uuid[])`.execute(trx);
        await sql`update insights.search_tiers_fill set after = ${ids.rows.at(-1)!.file_id}::uuid where id = 1`.execute(trx);
        filled += ids.rows.length;
        return false;
      });
      failures = 0;
      if (done) {
        if (filled > 0) log.info({ documents: filled }, 'search tiers filled for the documents indexed before them');
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      const wait = Math.min(60_000, 1_000 * 2 ** failures++);
      log.warn({ err, retryInMs: wait }, 'search tiers: a batch failed; trying again');
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
