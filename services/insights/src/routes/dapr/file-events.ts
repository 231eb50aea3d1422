import { Components, FileEventSchemas, FileEventTypes as F, FolderEventTypes as D, ShareEventTypes as S, Topics, type PublishedFilesTopicEvent, readPublished } from '@strata/contracts';
import type { DeliveredEvent, DeliveryOutcome } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { DocumentCommand } from '../../domain/document/decide.js';

/** The command a file's published event asks of its document, or undefined for one insights does not need. */
export function commandOf(event: PublishedFilesTopicEvent): DocumentCommand | undefined {
  switch (event.type) {
    case F.FileUploaded: {
      const { fileId, ownerId, name, version, contentType, size, sha256, createdAt } = event.data;
      return { type: 'NoteVersion', data: { fileId, ownerId, name, version, contentType, size, sha256, createdAt } };
    }
    case F.FileVersionAdded: {
      const { fileId, ownerId, version, contentType, size, sha256, createdAt } = event.data;
      // the name is the document's already (a version is never a document's first event)
      return { type: 'NoteVersion', data: { fileId, ownerId, name: '', version, contentType, size, sha256, createdAt } };
    }
    case F.FileVersionRestored: {
      // a new current version with an older one's bytes: read as any new version (search shows the current one)
      const { fileId, ownerId, version, contentType, size, sha256, createdAt } = event.data;
      return { type: 'NoteVersion', data: { fileId, ownerId, name: '', version, contentType, size, sha256, createdAt } };
    }
    case F.FileRenamed:
      return { type: 'NoteRename', data: { fileId: event.data.fileId, ownerId: event.data.ownerId, name: event.data.to, at: event.data.renamedAt } };
    case F.FileTrashed:
      return { type: 'NoteTrashed', data: { fileId: event.data.fileId, ownerId: event.data.ownerId, at: event.data.trashedAt } };
    case F.FileRestored:
      return { type: 'NoteRestored', data: { fileId: event.data.fileId, ownerId: event.data.ownerId, at: event.data.restoredAt } };
    case F.FilePurged:
      return { type: 'NotePurged', data: { fileId: event.data.fileId, ownerId: event.data.ownerId, at: event.data.purgedAt } };
    // where a file is and whether it is starred change nothing insights reads; a folder's trash
    // and restore come as each file's own FileTrashed and FileRestored; a version's name is not
    // read; a deleted version is never the current one, which is what search and the file's
    // insights show (its older reading stays until the file is purged); who an item is shared
    // with, and its links, change nothing insights reads of it
    case F.FileRehydrated:
    case F.FileTierChanged:
    case F.FileRehydrationRequested:
    case F.FileShared:
    case F.FileUnshared:
    case F.FileMoved:
    case F.FileStarred:
    case F.FileUnstarred:
    case F.FileVersionLabelled:
    case F.FileVersionDeleted:
    case D.FolderCreated:
    case D.FolderRenamed:
    case D.FolderMoved:
    case D.FolderTrashed:
    case D.FolderRestored:
    case D.FolderStarred:
    case D.FolderUnstarred:
    case S.ItemShared:
    case S.ShareRoleChanged:
    case S.ShareRevoked:
    case S.LinkCreated:
    case S.LinkRevoked:
    case S.LinkAccessed:
      return undefined;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * Files' facts from `files.events`, noted in each file's document stream (at least once: the
 * decider notes each fact once). A version to read wakes the indexer.
 */
export async function fileEventRoutes(app: FastifyInstance, opts: { onWork: () => void }) {
  app.subscribe({
    pubsubname: Components.pubsub,
    topic: Topics.fileEvents,
    path: '/dapr/events/files',
    handler: async (delivered: DeliveredEvent): Promise<DeliveryOutcome> => {
      const event = readPublished(FileEventSchemas, delivered);
      // not an event files publishes, or data that does not fit it: retrying cannot help
      if (!event) return 'DROP';
      const command = commandOf(event);
      // a folder's events ask nothing of a document
      if (!command || !('fileId' in event.data)) return 'SUCCESS';
      try {
        const result = await app.commands.handle(event.data.fileId, command, { retries: 5, metadata: { actor: `app:${Topics.fileEvents}`, causationId: delivered.id } });
        if (command.type === 'NoteVersion' && result.events.length > 0) opts.onWork();
        return 'SUCCESS';
      } catch (err) {
        app.log.warn({ err, event: delivered.id, type: delivered.type }, 'a file event was not noted; Dapr delivers it again');
        return 'RETRY';
      }
    },
  });
}
