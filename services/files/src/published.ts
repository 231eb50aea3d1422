import {
  FileEventTypes as T,
  FolderEventTypes as F,
  ShareEventTypes as S,
  isFolderEventType,
  isShareEventType,
  type PublishedFileEvent,
  type PublishedFilesTopicEvent,
  type PublishedFolderEvent,
  type PublishedShareEvent,
} from '@strata/contracts';
import type { RecordedEvent } from '@strata/event-store';
import type { FileEvent } from './domain/file/file.js';
import type { FolderEvent } from './domain/folder/folder.js';
import type { LinkEvent } from './domain/link/link.js';
import type { ShareEvent } from './domain/share/share.js';

/**
 * A domain event as `files.events` publishes it (`@strata/contracts`, v1), member by member:
 * blob names and version ids (how the blobs are laid out) stay in the log, and so does anything
 * an event holds that this function does not name.
 */
export function toPublished(event: RecordedEvent<FileEvent | FolderEvent | ShareEvent | LinkEvent>): PublishedFilesTopicEvent {
  if (isShareEventType(event.type)) return shareToPublished(event as RecordedEvent<ShareEvent | LinkEvent>);
  return isFolderEventType(event.type) ? folderToPublished(event as RecordedEvent<FolderEvent>) : fileToPublished(event as RecordedEvent<FileEvent>);
}

/**
 * A share's or link's event as `files.events` publishes it: never the e-mail a share was made
 * with, a link's token hash or its password's hash.
 */
export function shareToPublished(event: RecordedEvent<ShareEvent | LinkEvent>): PublishedShareEvent {
  switch (event.type) {
    case S.ItemShared: {
      const { shareId, ownerId, kind, itemId, recipientId, role, sharedAt } = event.data;
      return { type: S.ItemShared, schemaVersion: 1, data: { shareId, ownerId, kind, itemId, recipientId, role, sharedAt } };
    }
    case S.ShareRoleChanged: {
      const { shareId, ownerId, kind, itemId, recipientId, from, to, changedAt } = event.data;
      return { type: S.ShareRoleChanged, schemaVersion: 1, data: { shareId, ownerId, kind, itemId, recipientId, from, to, changedAt } };
    }
    case S.ShareRevoked: {
      const { shareId, ownerId, kind, itemId, recipientId, revokedAt } = event.data;
      return { type: S.ShareRevoked, schemaVersion: 1, data: { shareId, ownerId, kind, itemId, recipientId, revokedAt } };
    }
    case S.LinkCreated: {
      const { linkId, ownerId, kind, itemId, expiresAt, passwordHash, maxDownloads, createdAt } = event.data;
      return { type: S.LinkCreated, schemaVersion: 1, data: { linkId, ownerId, kind, itemId, expiresAt, hasPassword: passwordHash !== null, maxDownloads, createdAt } };
    }
    case S.LinkRevoked: {
      const { linkId, ownerId, kind, itemId, reason, revokedAt } = event.data;
      return { type: S.LinkRevoked, schemaVersion: 1, data: { linkId, ownerId, kind, itemId, reason, revokedAt } };
    }
    case S.LinkAccessed: {
      const { linkId, ownerId, kind, itemId, action, outcome, downloads, at } = event.data;
      return { type: S.LinkAccessed, schemaVersion: 1, data: { linkId, ownerId, kind, itemId, action, outcome, downloads, at } };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** A folder's event as `files.events` publishes it, member by member. */
export function folderToPublished(event: RecordedEvent<FolderEvent>): PublishedFolderEvent {
  switch (event.type) {
    case F.FolderCreated: {
      const { folderId, ownerId, name, parentId, createdAt } = event.data;
      return { type: F.FolderCreated, schemaVersion: 1, data: { folderId, ownerId, name, parentId, createdAt } };
    }
    case F.FolderRenamed: {
      const { folderId, ownerId, from, to, renamedAt } = event.data;
      return { type: F.FolderRenamed, schemaVersion: 1, data: { folderId, ownerId, from, to, renamedAt } };
    }
    case F.FolderMoved: {
      const { folderId, ownerId, from, to, movedAt } = event.data;
      return { type: F.FolderMoved, schemaVersion: 1, data: { folderId, ownerId, from, to, movedAt } };
    }
    case F.FolderTrashed: {
      const { folderId, ownerId, trashedAt, withFolderId } = event.data;
      return { type: F.FolderTrashed, schemaVersion: 1, data: { folderId, ownerId, trashedAt, ...(withFolderId ? { withFolderId } : {}) } };
    }
    case F.FolderRestored: {
      const { folderId, ownerId, restoredAt } = event.data;
      return { type: F.FolderRestored, schemaVersion: 1, data: { folderId, ownerId, restoredAt } };
    }
    case F.FolderStarred: {
      const { folderId, ownerId, starredAt } = event.data;
      return { type: F.FolderStarred, schemaVersion: 1, data: { folderId, ownerId, starredAt } };
    }
    case F.FolderUnstarred: {
      const { folderId, ownerId, unstarredAt } = event.data;
      return { type: F.FolderUnstarred, schemaVersion: 1, data: { folderId, ownerId, unstarredAt } };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** A file's event as `files.events` publishes it. */
export function fileToPublished(event: RecordedEvent<FileEvent>): PublishedFileEvent {
  switch (event.type) {
    case T.FileUploaded: {
      const { fileId, ownerId, name, via, version, size, contentType, sha256, createdAt, folderId } = event.data;
      return {
        type: T.FileUploaded,
        schemaVersion: 1,
        data: { fileId, ownerId, name, via, version, size, contentType, sha256, createdAt, ...(folderId !== undefined ? { folderId } : {}) },
      };
    }
    case T.FileVersionAdded: {
      const { fileId, ownerId, version, size, contentType, sha256, createdAt } = event.data;
      return { type: T.FileVersionAdded, schemaVersion: 1, data: { fileId, ownerId, version, size, contentType, sha256, createdAt } };
    }
    case T.FileRenamed: {
      const { fileId, ownerId, from, to, renamedAt } = event.data;
      return { type: T.FileRenamed, schemaVersion: 1, data: { fileId, ownerId, from, to, renamedAt } };
    }
    case T.FileTrashed: {
      const { fileId, ownerId, trashedAt } = event.data;
      return { type: T.FileTrashed, schemaVersion: 1, data: { fileId, ownerId, trashedAt } };
    }
    case T.FileRestored: {
      const { fileId, ownerId, restoredAt } = event.data;
      return { type: T.FileRestored, schemaVersion: 1, data: { fileId, ownerId, restoredAt } };
    }
    case T.FilePurged: {
      const { fileId, ownerId, purgedAt, reason, bytes } = event.data;
      return { type: T.FilePurged, schemaVersion: 1, data: { fileId, ownerId, purgedAt, reason, bytes } };
    }
    case T.FileTierChanged: {
      const { fileId, ownerId, from, to, changedAt } = event.data;
      return { type: T.FileTierChanged, schemaVersion: 1, data: { fileId, ownerId, from, to, changedAt } };
    }
    case T.FileRehydrationRequested: {
      const { fileId, ownerId, priority, requestedAt } = event.data;
      return { type: T.FileRehydrationRequested, schemaVersion: 1, data: { fileId, ownerId, priority, requestedAt } };
    }
    case T.FileRehydrated: {
      const { fileId, ownerId, requestedAt, rehydratedAt } = event.data;
      return { type: T.FileRehydrated, schemaVersion: 1, data: { fileId, ownerId, requestedAt, rehydratedAt } };
    }
    case T.FileShared: {
      const { fileId, ownerId, clientId, sharedAt } = event.data;
      return { type: T.FileShared, schemaVersion: 1, data: { fileId, ownerId, clientId, sharedAt } };
    }
    case T.FileUnshared: {
      const { fileId, ownerId, clientId, unsharedAt } = event.data;
      return { type: T.FileUnshared, schemaVersion: 1, data: { fileId, ownerId, clientId, unsharedAt } };
    }
    case T.FileMoved: {
      const { fileId, ownerId, from, to, movedAt } = event.data;
      return { type: T.FileMoved, schemaVersion: 1, data: { fileId, ownerId, from, to, movedAt } };
    }
    case T.FileStarred: {
      const { fileId, ownerId, starredAt } = event.data;
      return { type: T.FileStarred, schemaVersion: 1, data: { fileId, ownerId, starredAt } };
    }
    case T.FileUnstarred: {
      const { fileId, ownerId, unstarredAt } = event.data;
      return { type: T.FileUnstarred, schemaVersion: 1, data: { fileId, ownerId, unstarredAt } };
    }
    case T.FileVersionRestored: {
      const { fileId, ownerId, version, size, contentType, sha256, createdAt, restoredFrom } = event.data;
      return { type: T.FileVersionRestored, schemaVersion: 1, data: { fileId, ownerId, version, size, contentType, sha256, createdAt, restoredFrom } };
    }
    case T.FileVersionLabelled: {
      const { fileId, ownerId, version, label, labelledAt } = event.data;
      return { type: T.FileVersionLabelled, schemaVersion: 1, data: { fileId, ownerId, version, label, labelledAt } };
    }
    case T.FileVersionDeleted: {
      const { fileId, ownerId, version, reason, bytes, deletedAt } = event.data;
      return { type: T.FileVersionDeleted, schemaVersion: 1, data: { fileId, ownerId, version, reason, bytes, deletedAt } };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}
