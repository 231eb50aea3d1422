import { FileEventTypes as T, type PublishedFileEvent } from '@strata/contracts';
import type { RecordedEvent } from '@strata/event-store';
import type { FileEvent } from './domain/file/file.js';

/**
 * A domain event as `files.events` publishes it (`@strata/contracts`, v1), member by member:
 * blob names and version ids (how the blobs are laid out) stay in the log, and so does anything
 * an event holds that this function does not name.
 */
export function toPublished(event: RecordedEvent<FileEvent>): PublishedFileEvent {
  switch (event.type) {
    case T.FileUploaded: {
      const { fileId, ownerId, name, via, version, size, contentType, sha256, createdAt } = event.data;
      return { type: T.FileUploaded, schemaVersion: 1, data: { fileId, ownerId, name, via, version, size, contentType, sha256, createdAt } };
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
    default: {
      const never: never = event;
      return never;
    }
  }
}
