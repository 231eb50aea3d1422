import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, UploadFailure, UploadRow, UploadsTable } from '../db/schema.js';
import { ensureRoom } from '../quota.js';

type Db = Kysely<Database> | Transaction<Database>;

/*
 * The `uploads` table: resumable uploads from creation until they complete (FileUploaded), fail
 * (their completion was refused), are given up or expire. Not a projection: nothing about an
 * upload is an event until it completes.
 */

export function findUpload(db: Db, uploadId: string): Promise<UploadRow | undefined> {
  return db.selectFrom('files.uploads').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
}

/**
 * Records a new upload, its whole length reserved against the owner's quota: the check and the
 * insert run under the owner's quota lock, so two creations at once cannot both take the last
 * bytes. A length that does not fit is refused with quota-exceeded and nothing is recorded.
 */
export function openUpload(db: Kysely<Database>, upload: Insertable<UploadsTable>, quotaBytes: number): Promise<UploadRow> {
  return db.transaction().execute(async (trx) => {
    await ensureRoom(trx, upload.owner_id, Number(upload.length), quotaBytes, upload.created_at);
    return trx.insertInto('files.uploads').values(upload).returningAll().executeTakeFirstOrThrow();
  });
}

export async function recordOffset(db: Db, uploadId: string, offset: number): Promise<void> {
  await db.updateTable('files.uploads').set({ offset }).where('upload_id', '=', uploadId).execute();
}

/** In the transaction that stores FileUploaded: the upload is done, its reservation ends. */
export async function markCompleted(trx: Transaction<Database>, uploadId: string, offset: number, at: Date): Promise<void> {
  await trx.updateTable('files.uploads').set({ offset, completed_at: at }).where('upload_id', '=', uploadId).execute();
}

/**
 * The completion was refused: the upload ends, its reservation with it. True when this call
 * ended it; an upload another request completed or failed meanwhile is left as it is (and its
 * blob must then be left alone too).
 */
export async function markFailed(db: Db, uploadId: string, failure: UploadFailure, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('files.uploads')
    .set({ failed_at: at, failure })
    .where('upload_id', '=', uploadId)
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Forgets an upload that did not complete (given up, failed or expired); a completed one is a file and stays. */
export async function forgetUpload(db: Db, uploadId: string): Promise<void> {
  await db.deleteFrom('files.uploads').where('upload_id', '=', uploadId).where('completed_at', 'is', null).execute();
}

/** Uploads that did not complete and are past their expiry, failed ones included. */
export function expiredUploads(db: Db, now: Date, limit: number): Promise<Pick<UploadRow, 'upload_id' | 'blob_name'>[]> {
  return db.selectFrom('files.uploads').select(['upload_id', 'blob_name']).where('completed_at', 'is', null).where('expires_at', '<=', now).limit(limit).execute();
}

/** Of these blob names, those an open upload (neither completed nor failed) is still writing. */
export async function blobsOfOpenUploads(db: Db, blobNames: string[]): Promise<string[]> {
  if (blobNames.length === 0) return [];
  const rows = await db
    .selectFrom('files.uploads')
    .select('blob_name')
    .where('blob_name', 'in', blobNames)
    .where('completed_at', 'is', null)
    .where('failed_at', 'is', null)
    .execute();
  return rows.map((r) => r.blob_name);
}
