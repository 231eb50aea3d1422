import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from './db/schema.js';
import { quotaExceeded } from './errors.js';
import { usedBytes } from './projections/queries.js';

/**
 * What counts against an owner's quota: the bytes stored (every version, the trash included:
 * the `usage` read model) and the full Upload-Length of every resumable upload still open (not
 * completed, not failed, not expired), reserved when the upload was created so that it can finish.
 */
export interface QuotaUse {
  usedBytes: number;
  reservedBytes: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Everything that adds to what an owner stores takes this lock, in the transaction that adds it:
 * creating a resumable upload (its reservation) and storing a file or a version. An advisory
 * lock rather than SELECT ... FOR UPDATE on the owner's usage row, because a new owner has no row
 * yet and two first uploads would both find nothing to lock. The two-key form keeps these apart
 * from single-key advisory locks (the jobs' lock); a hash collision only serialises two owners.
 */
export async function lockQuota(trx: Transaction<Database>, ownerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('strata.files.quota'), hashtext(${ownerId}))`.execute(trx);
}

/** Bytes held for the owner's open resumable uploads at `now`. */
export async function reservedBytes(db: Db, ownerId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('files.uploads')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('length'), sql<string>`0`).as('bytes'))
    .where('owner_id', '=', ownerId)
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

export async function quotaUse(db: Db, ownerId: string, now: Date): Promise<QuotaUse> {
  return { usedBytes: await usedBytes(db, ownerId), reservedBytes: await reservedBytes(db, ownerId, now) };
}

/** Before adding `bytes` (a new resumable upload's length): they fit beside what is used and reserved. */
export async function ensureRoom(trx: Transaction<Database>, ownerId: string, bytes: number, quotaBytes: number, now: Date): Promise<void> {
  await lockQuota(trx, ownerId);
  const use = await quotaUse(trx, ownerId, now);
  if (use.usedBytes + use.reservedBytes + bytes > quotaBytes) throw quotaExceeded(quotaBytes, use.usedBytes, use.reservedBytes);
}

/**
 * After the append of `addedBytes` (a file or a version), in its transaction: what is used now,
 * plus what other open uploads reserved, still fits. A completing resumable upload is marked done
 * before this check, so its own reservation is not counted twice.
 */
export async function checkQuota(trx: Transaction<Database>, ownerId: string, quotaBytes: number, now: Date, addedBytes: number): Promise<void> {
  await lockQuota(trx, ownerId);
  const use = await quotaUse(trx, ownerId, now);
  if (use.usedBytes + use.reservedBytes > quotaBytes) throw quotaExceeded(quotaBytes, use.usedBytes - addedBytes, use.reservedBytes);
}
