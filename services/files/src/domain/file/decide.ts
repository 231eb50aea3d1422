import { FileEventTypes as T, type RehydratePriority } from '@strata/contracts';
import { type FileEvent, type FileState, type Tier, type VersionInfo } from './file.js';
import { validateFileName } from './names.js';

type NewVersion = Omit<VersionInfo, 'version' | 'createdAt'>;

/** Every command names the user it acts for: a file of someone else is not found. */
export type UploadFile = { type: 'UploadFile'; data: { fileId: string; ownerId: string; name: string; via: 'multipart' | 'tus'; content: NewVersion; now: Date } };
export type AddVersion = { type: 'AddVersion'; data: { ownerId: string; content: NewVersion; now: Date } };
export type RenameFile = { type: 'RenameFile'; data: { ownerId: string; name: string; now: Date } };
export type TrashFile = { type: 'TrashFile'; data: { ownerId: string; now: Date } };
export type RestoreFile = { type: 'RestoreFile'; data: { ownerId: string; now: Date } };
export type PurgeFile = { type: 'PurgeFile'; data: { ownerId: string; reason: 'user' | 'retention'; now: Date } };
export type ChangeTier = { type: 'ChangeTier'; data: { ownerId: string; to: Tier; now: Date } };
/** A download found an archived version: bring the file's archived blobs back to hot (once). */
export type RequestRehydration = { type: 'RequestRehydration'; data: { ownerId: string; priority: RehydratePriority; now: Date } };
/** The rehydration job read every archived blob back hot. */
export type CompleteRehydration = { type: 'CompleteRehydration'; data: { ownerId: string; now: Date } };
export type ShareFile = { type: 'ShareFile'; data: { ownerId: string; clientId: string; now: Date } };
export type UnshareFile = { type: 'UnshareFile'; data: { ownerId: string; clientId: string; now: Date } };

export type FileCommand =
  | UploadFile
  | AddVersion
  | RenameFile
  | TrashFile
  | RestoreFile
  | PurgeFile
  | ChangeTier
  | RequestRehydration
  | CompleteRehydration
  | ShareFile
  | UnshareFile;

export class FileNotFoundError extends Error {
  constructor() {
    super('no such file');
    this.name = 'FileNotFoundError';
  }
}
export class FileExistsError extends Error {
  constructor() {
    super('a file with this id exists already');
    this.name = 'FileExistsError';
  }
}
export class FileNotInTrashError extends Error {
  constructor() {
    super('the file is not in the trash');
    this.name = 'FileNotInTrashError';
  }
}

/** The file as its owner sees it: missing, purged or someone else's file all read as "not found". */
function owned(state: FileState, ownerId: string) {
  if (state.status === 'none' || state.status === 'purged' || state.ownerId !== ownerId) throw new FileNotFoundError();
  return state;
}

/** Outside the trash: a trashed file is only seen through the trash routes. */
function live(state: FileState, ownerId: string) {
  const file = owned(state, ownerId);
  if (file.status !== 'active') throw new FileNotFoundError();
  return file;
}

export function decideFile(command: FileCommand, state: FileState): FileEvent[] {
  switch (command.type) {
    case 'UploadFile': {
      if (state.status !== 'none') throw new FileExistsError();
      const { fileId, ownerId, via, content, now } = command.data;
      const name = validateFileName(command.data.name);
      return [{ type: T.FileUploaded, data: { fileId, ownerId, name, via, ...content, version: 1, createdAt: now.toISOString() } }];
    }
    case 'AddVersion': {
      const { ownerId, content, now } = command.data;
      const file = live(state, ownerId);
      const version = (file.versions.at(-1)?.version ?? 0) + 1;
      return [{ type: T.FileVersionAdded, data: { fileId: file.fileId, ownerId, ...content, version, createdAt: now.toISOString() } }];
    }
    case 'RenameFile': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      const to = validateFileName(command.data.name);
      if (to === file.name) return [];
      return [{ type: T.FileRenamed, data: { fileId: file.fileId, ownerId, from: file.name, to, renamedAt: now.toISOString() } }];
    }
    case 'TrashFile': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      return [{ type: T.FileTrashed, data: { fileId: file.fileId, ownerId, trashedAt: now.toISOString() } }];
    }
    case 'RestoreFile': {
      const { ownerId, now } = command.data;
      const file = owned(state, ownerId);
      if (file.status !== 'trashed') throw new FileNotInTrashError();
      return [{ type: T.FileRestored, data: { fileId: file.fileId, ownerId, restoredAt: now.toISOString() } }];
    }
    case 'PurgeFile': {
      const { ownerId, reason, now } = command.data;
      const file = owned(state, ownerId);
      // only what is in the trash is purged: deleting is always two steps
      if (file.status !== 'trashed') throw new FileNotInTrashError();
      return [
        {
          type: T.FilePurged,
          data: {
            fileId: file.fileId,
            ownerId,
            purgedAt: now.toISOString(),
            reason,
            blobNames: file.versions.map((v) => v.blobName),
            bytes: file.versions.reduce((sum, v) => sum + v.size, 0),
          },
        },
      ];
    }
    case 'ChangeTier': {
      const { ownerId, to, now } = command.data;
      const file = owned(state, ownerId);
      if (file.tier === to) return [];
      return [{ type: T.FileTierChanged, data: { fileId: file.fileId, ownerId, from: file.tier, to, changedAt: now.toISOString() } }];
    }
    case 'RequestRehydration': {
      const { ownerId, priority, now } = command.data;
      // only what can be downloaded: a trashed file is restored first
      const file = live(state, ownerId);
      // requested once: a second download while it is pending asks Blob Storage for nothing more
      if (file.archived.length === 0 || file.rehydration) return [];
      return [{ type: T.FileRehydrationRequested, data: { fileId: file.fileId, ownerId, priority, requestedAt: now.toISOString() } }];
    }
    case 'CompleteRehydration': {
      const { ownerId, now } = command.data;
      const file = owned(state, ownerId);
      if (!file.rehydration) return [];
      return [{ type: T.FileRehydrated, data: { fileId: file.fileId, ownerId, requestedAt: file.rehydration.requestedAt, rehydratedAt: now.toISOString() } }];
    }
    case 'ShareFile': {
      const { ownerId, clientId, now } = command.data;
      const file = live(state, ownerId);
      if (file.grants.includes(clientId)) return [];
      return [{ type: T.FileShared, data: { fileId: file.fileId, ownerId, clientId, sharedAt: now.toISOString() } }];
    }
    case 'UnshareFile': {
      const { ownerId, clientId, now } = command.data;
      const file = owned(state, ownerId);
      if (!file.grants.includes(clientId)) return [];
      return [{ type: T.FileUnshared, data: { fileId: file.fileId, ownerId, clientId, unsharedAt: now.toISOString() } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
