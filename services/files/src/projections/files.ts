import { FileEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import { type Transaction, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { type FileEvent, type VersionInfo, versionOf } from '../domain/file/file.js';
import { nameKey } from '../domain/file/names.js';

type Trx = Transaction<Database>;

/**
 * The file list (`files`, with each file's revision: every event moves it), each file's
 * versions (`versions`) and what each owner stores (`usage`, `usage_by_type`, the trash included
 * until it is purged). One read model, because a purge takes back from the usage what the
 * file's versions held, by content type, and only the versions know that.
 */
export const fileList = projection<FileEvent, Database>()({
  name: 'files',
  handles: Object.values(T),
  async evolve(trx, event) {
    switch (event.type) {
      case T.FileUploaded: {
        const e = event.data;
        await trx
          .insertInto('files.files')
          .values({
            file_id: e.fileId,
            owner_id: e.ownerId,
            name: e.name,
            name_key: nameKey(e.name),
            folder_id: e.folderId ?? null,
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
        await addVersion(trx, e.fileId, e.ownerId, versionOf(e));
        await trx
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
      case T.FileVersionAdded: {
        const e = event.data;
        await trx
          .updateTable('files.files')
          .set({ size: e.size, content_type: e.contentType, sha256: e.sha256, version: e.version, revision: event.streamVersion, updated_at: new Date(e.createdAt), tier: 'Hot' })
          .where('file_id', '=', e.fileId)
          .execute();
        await addVersion(trx, e.fileId, e.ownerId, versionOf(e));
        await trx
          .updateTable('files.usage')
          .set({ bytes: sql`bytes + ${e.size}`, versions: sql`versions + 1` })
          .where('owner_id', '=', e.ownerId)
          .execute();
        return;
      }
      case T.FileRenamed:
        await trx
          .updateTable('files.files')
          .set({ name: event.data.to, name_key: nameKey(event.data.to), revision: event.streamVersion, updated_at: new Date(event.data.renamedAt) })
          .where('file_id', '=', event.data.fileId)
          .execute();
        return;
      case T.FileTrashed:
        await trx
          .updateTable('files.files')
          .set({ status: 'trashed', trashed_at: new Date(event.data.trashedAt), trashed_with: event.data.withFolderId ?? null, revision: event.streamVersion })
          .where('file_id', '=', event.data.fileId)
          .execute();
        return;
      case T.FileRestored:
        await trx
          .updateTable('files.files')
          .set({ status: 'active', trashed_at: null, trashed_with: null, revision: event.streamVersion })
          .where('file_id', '=', event.data.fileId)
          .execute();
        return;
      case T.FilePurged: {
        const d = event.data;
        const versions = await trx.selectFrom('files.versions').select(['content_type', 'size', 'blob_name']).where('file_id', '=', d.fileId).execute();
        // a blob shared by two versions (a restore) was counted once: it is taken back once
        const counted = new Set<string>();
        for (const v of versions) {
          const bytes = counted.has(v.blob_name) ? 0 : v.size;
          counted.add(v.blob_name);
          await trx
            .updateTable('files.usage_by_type')
            .set({ bytes: sql`bytes - ${bytes}`, versions: sql`versions - 1` })
            .where('owner_id', '=', d.ownerId)
            .where('content_type', '=', v.content_type)
            .execute();
        }
        await trx.deleteFrom('files.usage_by_type').where('owner_id', '=', d.ownerId).where('versions', '<=', 0).execute();
        await trx
          .updateTable('files.usage')
          .set({ bytes: sql`bytes - ${d.bytes}`, files: sql`files - 1`, versions: sql`versions - ${versions.length}` })
          .where('owner_id', '=', d.ownerId)
          .execute();
        await trx.deleteFrom('files.versions').where('file_id', '=', d.fileId).execute();
        await trx.deleteFrom('files.files').where('file_id', '=', d.fileId).execute();
        return;
      }
      case T.FileTierChanged: {
        const d = event.data;
        await trx.updateTable('files.files').set({ tier: d.to, revision: event.streamVersion }).where('file_id', '=', d.fileId).execute();
        // as the tier job does to the blobs: every version goes colder, an archived one stays archived
        let versions = trx.updateTable('files.versions').set({ tier: d.to }).where('file_id', '=', d.fileId);
        if (d.to !== 'Archive') versions = versions.where('tier', '!=', 'Archive');
        await versions.execute();
        return;
      }
      case T.FileRehydrationRequested:
        await trx
          .updateTable('files.files')
          .set({ rehydrating_since: new Date(event.data.requestedAt), revision: event.streamVersion })
          .where('file_id', '=', event.data.fileId)
          .execute();
        return;
      case T.FileRehydrated: {
        const d = event.data;
        await trx
          .updateTable('files.files')
          .set({ tier: sql`case when tier = 'Archive' then 'Hot' else tier end`, rehydrating_since: null, rehydrated_at: new Date(d.rehydratedAt), revision: event.streamVersion })
          .where('file_id', '=', d.fileId)
          .execute();
        // what was archived is hot again; a version that was only cool stays so
        await trx.updateTable('files.versions').set({ tier: 'Hot' }).where('file_id', '=', d.fileId).where('tier', '=', 'Archive').execute();
        return;
      }
      case T.FileShared:
      case T.FileUnshared:
        await trx.updateTable('files.files').set({ revision: event.streamVersion }).where('file_id', '=', event.data.fileId).execute();
        return;
      case T.FileMoved:
        await trx
          .updateTable('files.files')
          .set({ folder_id: event.data.to, updated_at: new Date(event.data.movedAt), revision: event.streamVersion })
          .where('file_id', '=', event.data.fileId)
          .execute();
        return;
      case T.FileStarred:
        await trx.updateTable('files.files').set({ starred_at: new Date(event.data.starredAt), revision: event.streamVersion }).where('file_id', '=', event.data.fileId).execute();
        return;
      case T.FileUnstarred:
        await trx.updateTable('files.files').set({ starred_at: null, revision: event.streamVersion }).where('file_id', '=', event.data.fileId).execute();
        return;
      case T.FileVersionRestored: {
        const e = event.data;
        const from = await trx.selectFrom('files.versions').select('tier').where('file_id', '=', e.fileId).where('version', '=', e.restoredFrom).executeTakeFirst();
        // the same blob as the version restored, so its tier too
        const tier = from?.tier ?? 'Hot';
        await trx
          .updateTable('files.files')
          .set({ size: e.size, content_type: e.contentType, sha256: e.sha256, version: e.version, revision: event.streamVersion, updated_at: new Date(e.createdAt), tier })
          .where('file_id', '=', e.fileId)
          .execute();
        await trx
          .insertInto('files.versions')
          .values({
            file_id: e.fileId,
            version: e.version,
            version_id: e.versionId,
            owner_id: e.ownerId,
            blob_name: e.blobName,
            size: e.size,
            content_type: e.contentType,
            sha256: e.sha256,
            created_at: new Date(e.createdAt),
            tier,
            restored_from: e.restoredFrom,
          })
          .execute();
        // one more version, no more bytes: it stores nothing new
        await trx.updateTable('files.usage').set({ versions: sql`versions + 1` }).where('owner_id', '=', e.ownerId).execute();
        await trx.updateTable('files.usage_by_type').set({ versions: sql`versions + 1` }).where('owner_id', '=', e.ownerId).where('content_type', '=', e.contentType).execute();
        return;
      }
      case T.FileVersionLabelled: {
        const e = event.data;
        await trx.updateTable('files.versions').set({ label: e.label }).where('file_id', '=', e.fileId).where('version', '=', e.version).execute();
        await trx.updateTable('files.files').set({ revision: event.streamVersion }).where('file_id', '=', e.fileId).execute();
        return;
      }
      case T.FileVersionDeleted: {
        const e = event.data;
        const gone = await trx.deleteFrom('files.versions').where('file_id', '=', e.fileId).where('version', '=', e.version).returning('content_type').executeTakeFirst();
        await trx.updateTable('files.files').set({ revision: event.streamVersion }).where('file_id', '=', e.fileId).execute();
        if (!gone) return;
        await trx.updateTable('files.usage').set({ bytes: sql`bytes - ${e.bytes}`, versions: sql`versions - 1` }).where('owner_id', '=', e.ownerId).execute();
        await trx
          .updateTable('files.usage_by_type')
          .set({ bytes: sql`bytes - ${e.bytes}`, versions: sql`versions - 1` })
          .where('owner_id', '=', e.ownerId)
          .where('content_type', '=', gone.content_type)
          .execute();
        await trx.deleteFrom('files.usage_by_type').where('owner_id', '=', e.ownerId).where('versions', '<=', 0).execute();
        return;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    for (const table of ['files.files', 'files.versions', 'files.usage', 'files.usage_by_type'] as const) await trx.deleteFrom(table).execute();
  },
});

async function addVersion(trx: Trx, fileId: string, ownerId: string, v: VersionInfo): Promise<void> {
  await trx
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
  await trx
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
