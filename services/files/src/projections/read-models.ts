import type { RecordedEvent } from '@strata/event-store';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { FileEvent, VersionInfo } from '../domain/file/file.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The read models (the file list, versions, trash, usage counters, grants, the activity trail),
 * updated in the same transaction as the append that caused them, so a client reads its own
 * writes at once. Counters are adjusted once per appended event, inside that transaction; a
 * rebuild empties the tables and replays the log.
 */
export async function project(db: Db, event: RecordedEvent<FileEvent>): Promise<void> {
  await recordActivity(db, event);
  const d = event.data;
  switch (event.type) {
    case 'FileUploaded': {
      const e = event.data;
      await db
        .insertInto('files.files')
        .values({
          file_id: e.fileId,
          owner_id: e.ownerId,
          name: e.name,
          size: e.size,
          content_type: e.contentType,
          sha256: e.sha256,
          version: 1,
          revision: event.streamVersion,
          status: 'active',
          tier: 'Hot',
          created_at: new Date(e.createdAt),
          updated_at: new Date(e.createdAt),
          trashed_at: null,
        })
        .onConflict((c) => c.column('file_id').doNothing())
        .execute();
      await addVersion(db, e.fileId, e.ownerId, e);
      await db
        .insertInto('files.usage')
        .values({ owner_id: e.ownerId, bytes: e.size, files: 1, versions: 1 })
        .onConflict((c) =>
          c.column('owner_id').doUpdateSet({
            bytes: sql`files.usage.bytes + ${e.size}`,
            files: sql`files.usage.files + 1`,
            versions: sql`files.usage.versions + 1`,
          }),
        )
        .execute();
      return;
    }
    case 'FileVersionAdded': {
      const e = event.data;
      await db
        .updateTable('files.files')
        .set({ size: e.size, content_type: e.contentType, sha256: e.sha256, version: e.version, revision: event.streamVersion, updated_at: new Date(e.createdAt), tier: 'Hot' })
        .where('file_id', '=', e.fileId)
        .execute();
      await addVersion(db, e.fileId, e.ownerId, e);
      await db
        .updateTable('files.usage')
        .set({ bytes: sql`bytes + ${e.size}`, versions: sql`versions + 1` })
        .where('owner_id', '=', e.ownerId)
        .execute();
      return;
    }
    case 'FileRenamed':
      await db
        .updateTable('files.files')
        .set({ name: event.data.to, revision: event.streamVersion, updated_at: new Date(event.data.renamedAt) })
        .where('file_id', '=', d.fileId)
        .execute();
      return;
    case 'FileTrashed':
      await db
        .updateTable('files.files')
        .set({ status: 'trashed', trashed_at: new Date(event.data.trashedAt), revision: event.streamVersion })
        .where('file_id', '=', d.fileId)
        .execute();
      return;
    case 'FileRestored':
      await db
        .updateTable('files.files')
        .set({ status: 'active', trashed_at: null, revision: event.streamVersion })
        .where('file_id', '=', d.fileId)
        .execute();
      return;
    case 'FilePurged': {
      const versions = await db.selectFrom('files.versions').select(['content_type', 'size']).where('file_id', '=', d.fileId).execute();
      for (const v of versions) {
        await db
          .updateTable('files.usage_by_type')
          .set({ bytes: sql`bytes - ${v.size}`, versions: sql`versions - 1` })
          .where('owner_id', '=', d.ownerId)
          .where('content_type', '=', v.content_type)
          .execute();
      }
      await db.deleteFrom('files.usage_by_type').where('owner_id', '=', d.ownerId).where('versions', '<=', 0).execute();
      await db
        .updateTable('files.usage')
        .set({ bytes: sql`bytes - ${event.data.bytes}`, files: sql`files - 1`, versions: sql`versions - ${versions.length}` })
        .where('owner_id', '=', d.ownerId)
        .execute();
      await db.deleteFrom('files.versions').where('file_id', '=', d.fileId).execute();
      await db.deleteFrom('files.grants').where('file_id', '=', d.fileId).execute();
      await db.deleteFrom('files.files').where('file_id', '=', d.fileId).execute();
      return;
    }
    case 'FileTierChanged':
      await db.updateTable('files.files').set({ tier: event.data.to, revision: event.streamVersion }).where('file_id', '=', d.fileId).execute();
      return;
    case 'FileShared':
      await db
        .insertInto('files.grants')
        .values({ file_id: d.fileId, client_id: event.data.clientId, owner_id: d.ownerId, granted_at: new Date(event.data.sharedAt) })
        .onConflict((c) => c.columns(['file_id', 'client_id']).doNothing())
        .execute();
      await db.updateTable('files.files').set({ revision: event.streamVersion }).where('file_id', '=', d.fileId).execute();
      return;
    case 'FileUnshared':
      await db.deleteFrom('files.grants').where('file_id', '=', d.fileId).where('client_id', '=', event.data.clientId).execute();
      await db.updateTable('files.files').set({ revision: event.streamVersion }).where('file_id', '=', d.fileId).execute();
      return;
    default: {
      const never: never = event;
      return never;
    }
  }
}

async function addVersion(db: Db, fileId: string, ownerId: string, v: VersionInfo): Promise<void> {
  await db
    .insertInto('files.versions')
    .values({
      file_id: fileId,
      version: v.version,
      version_id: v.versionId,
      owner_id: ownerId,
      blob_name: v.blobName,
      size: v.size,
      content_type: v.contentType,
      sha256: v.sha256,
      created_at: new Date(v.createdAt),
    })
    .execute();
  await db
    .insertInto('files.usage_by_type')
    .values({ owner_id: ownerId, content_type: v.contentType, bytes: v.size, versions: 1 })
    .onConflict((c) =>
      c.columns(['owner_id', 'content_type']).doUpdateSet({
        bytes: sql`files.usage_by_type.bytes + ${v.size}`,
        versions: sql`files.usage_by_type.versions + 1`,
      }),
    )
    .execute();
}

/** What the owner's audit trail shows of an event: who, what, when, from where. */
async function recordActivity(db: Db, event: RecordedEvent<FileEvent>): Promise<void> {
  const { fileId, ownerId, ...rest } = event.data as { fileId: string; ownerId: string; address?: string } & Record<string, unknown>;
  const { address: _address, blobNames: _blobNames, blobName: _blobName, versionId: _versionId, ...details } = rest;
  const meta = event.metadata;
  await db
    .insertInto('files.activity')
    .values({
      event_id: event.id,
      owner_id: ownerId,
      file_id: fileId,
      type: event.type,
      actor: typeof meta.actor === 'string' ? meta.actor : 'system',
      address: typeof meta.address === 'string' ? meta.address : null,
      user_agent: typeof meta.userAgent === 'string' ? meta.userAgent.slice(0, 300) : null,
      details: JSON.stringify(details),
      at: event.occurredAt,
    })
    .onConflict((c) => c.column('event_id').doNothing())
    .execute();
}
