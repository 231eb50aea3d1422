import { FolderEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Updateable } from 'kysely';
import type { Database, FoldersTable } from '../db/schema.js';
import { nameKey } from '../domain/file/names.js';
import type { FolderEvent } from '../domain/folder/folder.js';

/**
 * The folder tree (`folders`): each folder's name, parent, trash state and star, with its
 * revision (the stream's version). Every column comes from an event's data, times included, so
 * the tree as of any moment can be replayed from the log.
 */
export const folderList = projection<FolderEvent, Database>()({
  name: 'folders',
  handles: Object.values(T),
  async evolve(trx, event) {
    const at = (iso: string) => new Date(iso);
    const update = (values: Updateable<FoldersTable>) =>
      trx.updateTable('files.folders').set(values).where('folder_id', '=', event.data.folderId).execute();
    switch (event.type) {
      case T.FolderCreated: {
        const d = event.data;
        await trx
          .insertInto('files.folders')
          .values({
            folder_id: d.folderId,
            owner_id: d.ownerId,
            name: d.name,
            name_key: nameKey(d.name),
            parent_id: d.parentId,
            status: 'active',
            revision: event.streamVersion,
            created_at: at(d.createdAt),
            updated_at: at(d.createdAt),
            trashed_at: null,
            trashed_with: null,
            starred_at: null,
          })
          .onConflict((c) => c.column('folder_id').doNothing())
          .execute();
        return;
      }
      case T.FolderRenamed:
        await update({ name: event.data.to, name_key: nameKey(event.data.to), updated_at: at(event.data.renamedAt), revision: event.streamVersion });
        return;
      case T.FolderMoved:
        await update({ parent_id: event.data.to, updated_at: at(event.data.movedAt), revision: event.streamVersion });
        return;
      case T.FolderTrashed:
        await update({ status: 'trashed', trashed_at: at(event.data.trashedAt), trashed_with: event.data.withFolderId ?? null, revision: event.streamVersion });
        return;
      case T.FolderRestored:
        await update({ status: 'active', trashed_at: null, trashed_with: null, revision: event.streamVersion });
        return;
      case T.FolderStarred:
        await update({ starred_at: at(event.data.starredAt), revision: event.streamVersion });
        return;
      case T.FolderUnstarred:
        await update({ starred_at: null, revision: event.streamVersion });
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('files.folders').execute();
  },
});
