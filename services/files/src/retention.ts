import { FileEventTypes } from '@strata/contracts';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Database } from './db/schema.js';
import type { RetentionPolicy } from './domain/file/versions.js';
import { deleteBlob } from './purge.js';

/*
 * Each user's retention policy for old versions: a setting in `files.retention`, beside the
 * uploads' and idempotency rows (not a read model: nothing in a file's history depends on it; what
 * it does to the files is in their streams, as FileVersionDeleted with reason `retention`).
 */

/** The owner's policy and when it was set; no row: keep every version. */
export async function retentionOf(db: Kysely<Database>, ownerId: string) {
  const row = await db.selectFrom('files.retention').selectAll().where('owner_id', '=', ownerId).executeTakeFirst();
  return { keepLast: row?.keep_last ?? null, keepDays: row?.keep_days ?? null, updatedAt: row?.updated_at.toISOString() ?? null };
}

/** Sets the owner's whole policy (a policy with no rule is no row: the default). */
export async function setRetention(db: Kysely<Database>, ownerId: string, policy: RetentionPolicy, now: Date) {
  if (policy.keepLast === null && policy.keepDays === null) {
    await db.deleteFrom('files.retention').where('owner_id', '=', ownerId).execute();
    return { ...policy, updatedAt: null };
  }
  await db
    .insertInto('files.retention')
    .values({ owner_id: ownerId, keep_last: policy.keepLast, keep_days: policy.keepDays, updated_at: now })
    .onConflict((c) => c.column('owner_id').doUpdateSet({ keep_last: policy.keepLast, keep_days: policy.keepDays, updated_at: now }))
    .execute();
  return { ...policy, updatedAt: now.toISOString() };
}

export interface RetentionDue {
  file_id: string;
  owner_id: string;
  keep_last: number | null;
  keep_days: number | null;
}

/**
 * Active files, after `after` by id, of owners with a policy, holding at least one version the
 * policy lets go at `now` (not current, not named, outside the last keep_last, older than keep_days).
 * The decider decides again on the stream: this only finds the work.
 */
export async function retentionDue(db: Kysely<Database>, now: Date, after: string, limit: number): Promise<RetentionDue[]> {
  const { rows } = await sql<RetentionDue>`
    select f.file_id, f.owner_id, r.keep_last, r.keep_days
    from files.retention r
    join files.files f on f.owner_id = r.owner_id and f.status = 'active'
    where f.file_id > ${after}::uuid
      and exists (
        select 1 from files.versions v
        where v.file_id = f.file_id and v.version < f.version and v.label is null
          and (r.keep_days is null or v.created_at <= ${now}::timestamptz - make_interval(days => r.keep_days))
          and (r.keep_last is null or (select count(*) from files.versions w where w.file_id = f.file_id and w.version > v.version) >= r.keep_last)
      )
    order by f.file_id
    limit ${limit}`.execute(db);
  return rows;
}

/**
 * Deletes versions through a command (DeleteVersion or ApplyRetention), then the blobs its events
 * let go: a blob another version still holds is never named. A blob whose delete fails has no
 * version left, so the orphan sweep deletes it later.
 */
export async function deleteVersionsBy(
  app: FastifyInstance,
  fileId: string,
  command: { type: 'DeleteVersion'; data: { ownerId: string; version: number; now: Date } } | { type: 'ApplyRetention'; data: { ownerId: string; policy: RetentionPolicy; now: Date } },
  metadata: EventMetadata,
  options: { expectedVersion?: number; retries?: number } = {},
): Promise<number> {
  const result = await app.commands.handle(fileId, command, { metadata, ...options });
  let deleted = 0;
  for (const event of result.events) {
    if (event.type !== FileEventTypes.FileVersionDeleted) continue;
    deleted++;
    if (event.data.blobName) await deleteBlob(app, event.data.blobName);
  }
  return deleted;
}
