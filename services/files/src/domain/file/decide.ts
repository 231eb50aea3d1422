import { FileEventTypes as T, type RehydratePriority } from '@strata/contracts';
import { type Place, type TreeLimits, NameTakenError, checkArrival } from '../folder/place.js';
import { type FileEvent, type FileState, type PurgeReason, type Tier, type VersionDeleteReason, type VersionInfo, distinctBlobs } from './file.js';
import { freeName, nameKey, validateFileName } from './names.js';
import { type RetentionPolicy, validateLabel, versionsToDrop } from './versions.js';

type NewVersion = Omit<VersionInfo, 'version' | 'createdAt'>;

/**
 * Every command names the user it acts for: a file of someone else is not found. An upload lands
 * in `place` (the root, unchecked, when absent); a name taken there is kept beside the other as
 * "name (2).ext".
 */
export type UploadFile = {
  type: 'UploadFile';
  data: { fileId: string; ownerId: string; name: string; via: 'multipart' | 'tus'; content: NewVersion; place?: Place; limits?: TreeLimits; now: Date };
};
export type AddVersion = { type: 'AddVersion'; data: { ownerId: string; content: NewVersion; now: Date } };
/** `taken`: the name keys of the file's siblings that may clash (never its own). */
export type RenameFile = { type: 'RenameFile'; data: { ownerId: string; name: string; taken?: readonly string[]; now: Date } };
/** To another folder (`place`), under a new name if `name` is given: the name it arrives with is checked there. */
export type MoveFile = { type: 'MoveFile'; data: { ownerId: string; place: Place; name?: string; limits: TreeLimits; now: Date } };
export type TrashFile = { type: 'TrashFile'; data: { ownerId: string; withFolderId?: string; now: Date } };
/** Back in its folder: `taken` are the clashing keys there, `rename` the free name a restore keeping both gives it. */
export type RestoreFile = { type: 'RestoreFile'; data: { ownerId: string; taken?: readonly string[]; rename?: string; now: Date } };
/** `keep`: a blob handed on to another file (a restore replacing that file's content), not deleted. */
export type PurgeFile = { type: 'PurgeFile'; data: { ownerId: string; reason: PurgeReason; keep?: string; now: Date } };
export type StarFile = { type: 'StarFile'; data: { ownerId: string; now: Date } };
export type UnstarFile = { type: 'UnstarFile'; data: { ownerId: string; now: Date } };
export type ChangeTier = { type: 'ChangeTier'; data: { ownerId: string; to: Tier; now: Date } };
/** A download found an archived version: bring the file's archived blobs back to hot (once). */
export type RequestRehydration = { type: 'RequestRehydration'; data: { ownerId: string; priority: RehydratePriority; now: Date } };
/** The rehydration job read every archived blob back hot. */
export type CompleteRehydration = { type: 'CompleteRehydration'; data: { ownerId: string; now: Date } };
export type ShareFile = { type: 'ShareFile'; data: { ownerId: string; clientId: string; now: Date } };
export type UnshareFile = { type: 'UnshareFile'; data: { ownerId: string; clientId: string; now: Date } };
/** Make version `version` current again: a new version with its content (`versionId`: the new version's id; the blob is shared). */
export type RestoreVersion = { type: 'RestoreVersion'; data: { ownerId: string; version: number; versionId: string; now: Date } };
/** Name a version (`label`), or take its name away (null). */
export type LabelVersion = { type: 'LabelVersion'; data: { ownerId: string; version: number; label: string | null; now: Date } };
/** Delete one version, never the current one. */
export type DeleteVersion = { type: 'DeleteVersion'; data: { ownerId: string; version: number; now: Date } };
/** The retention job: the versions the owner's policy lets go are deleted. */
export type ApplyRetention = { type: 'ApplyRetention'; data: { ownerId: string; policy: RetentionPolicy; now: Date } };

/**
 * Back to its name and folder of a past moment, out of the trash if it is in it (a folder restored
 * to how it was then). `place` is where it goes as the tree will be once the whole restore is done.
 */
export type RewindFile = { type: 'RewindFile'; data: { ownerId: string; to: { name: string; folderId: string | null }; place: Place; limits: TreeLimits; now: Date } };

export type FileCommand =
  | RewindFile
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
  | UnshareFile
  | MoveFile
  | StarFile
  | UnstarFile
  | RestoreVersion
  | LabelVersion
  | DeleteVersion
  | ApplyRetention;

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

export class VersionNotFoundError extends Error {
  constructor() {
    super('no such version');
    this.name = 'VersionNotFoundError';
  }
}
/** The current version is the file: it is never deleted (restore another one first). */
export class CurrentVersionError extends Error {
  constructor(readonly version: number) {
    super('the current version cannot be deleted');
    this.name = 'CurrentVersionError';
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
      const { fileId, ownerId, via, content, place, limits, now } = command.data;
      let name = validateFileName(command.data.name);
      if (place) {
        name = freeName(name, new Set(place.taken), 'file');
        checkArrival(place, nameKey(name), name, limits ?? { maxDepth: Infinity, maxEntries: Infinity });
      }
      const folderId = place?.parentId ?? null;
      return [{ type: T.FileUploaded, data: { fileId, ownerId, name, via, ...content, version: 1, createdAt: now.toISOString(), ...(folderId ? { folderId } : {}) } }];
    }
    case 'AddVersion': {
      const { ownerId, content, now } = command.data;
      const file = live(state, ownerId);
      const version = (file.versions.at(-1)?.version ?? 0) + 1;
      return [{ type: T.FileVersionAdded, data: { fileId: file.fileId, ownerId, ...content, version, createdAt: now.toISOString() } }];
    }
    case 'RenameFile': {
      const { ownerId, taken = [], now } = command.data;
      const file = live(state, ownerId);
      const to = validateFileName(command.data.name);
      if (to === file.name) return [];
      if (taken.includes(nameKey(to))) throw new NameTakenError(to);
      return [{ type: T.FileRenamed, data: { fileId: file.fileId, ownerId, from: file.name, to, renamedAt: now.toISOString() } }];
    }
    case 'MoveFile': {
      const { ownerId, place, limits, now } = command.data;
      const file = live(state, ownerId);
      const name = command.data.name === undefined ? file.name : validateFileName(command.data.name);
      const at = now.toISOString();
      const renamed: FileEvent[] = name === file.name ? [] : [{ type: T.FileRenamed, data: { fileId: file.fileId, ownerId, from: file.name, to: name, renamedAt: at } }];
      if (place.parentId === file.folderId) {
        if (renamed.length > 0 && place.taken.includes(nameKey(name))) throw new NameTakenError(name);
        return renamed;
      }
      checkArrival(place, nameKey(name), name, limits);
      return [{ type: T.FileMoved, data: { fileId: file.fileId, ownerId, from: file.folderId, to: place.parentId, movedAt: at } }, ...renamed];
    }
    case 'RewindFile': {
      const { ownerId, to, place, limits, now } = command.data;
      const file = owned(state, ownerId);
      const name = validateFileName(to.name);
      const at = now.toISOString();
      const [restoring, moving, renaming] = [file.status === 'trashed', to.folderId !== file.folderId, name !== file.name];
      if (restoring || moving || renaming) checkArrival(place, nameKey(name), name, limits);
      const events: FileEvent[] = [];
      if (restoring) events.push({ type: T.FileRestored, data: { fileId: file.fileId, ownerId, restoredAt: at } });
      if (moving) events.push({ type: T.FileMoved, data: { fileId: file.fileId, ownerId, from: file.folderId, to: to.folderId, movedAt: at } });
      if (renaming) events.push({ type: T.FileRenamed, data: { fileId: file.fileId, ownerId, from: file.name, to: name, renamedAt: at } });
      return events;
    }
    case 'TrashFile': {
      const { ownerId, withFolderId, now } = command.data;
      const file = live(state, ownerId);
      return [{ type: T.FileTrashed, data: { fileId: file.fileId, ownerId, trashedAt: now.toISOString(), ...(withFolderId ? { withFolderId } : {}) } }];
    }
    case 'RestoreFile': {
      const { ownerId, taken = [], rename, now } = command.data;
      const file = owned(state, ownerId);
      if (file.status !== 'trashed') throw new FileNotInTrashError();
      const at = now.toISOString();
      const restored: FileEvent = { type: T.FileRestored, data: { fileId: file.fileId, ownerId, restoredAt: at } };
      if (!taken.includes(nameKey(file.name))) return [restored];
      if (rename === undefined) throw new NameTakenError(file.name);
      const to = validateFileName(rename);
      if (taken.includes(nameKey(to))) throw new NameTakenError(to);
      return [restored, { type: T.FileRenamed, data: { fileId: file.fileId, ownerId, from: file.name, to, renamedAt: at } }];
    }
    case 'StarFile': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      return file.starred ? [] : [{ type: T.FileStarred, data: { fileId: file.fileId, ownerId, starredAt: now.toISOString() } }];
    }
    case 'UnstarFile': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      return file.starred ? [{ type: T.FileUnstarred, data: { fileId: file.fileId, ownerId, unstarredAt: now.toISOString() } }] : [];
    }
    case 'PurgeFile': {
      const { ownerId, reason, keep, now } = command.data;
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
            // a blob shared by versions (a restore) is deleted, and counted, once
            blobNames: distinctBlobs(file.versions).map((b) => b.blobName).filter((b) => b !== keep),
            bytes: distinctBlobs(file.versions).reduce((sum, b) => sum + b.size, 0),
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
    case 'RestoreVersion': {
      const { ownerId, versionId, now } = command.data;
      const file = live(state, ownerId);
      const from = versionIn(file.versions, command.data.version);
      const version = file.versions.at(-1)!.version + 1;
      const { blobName, size, contentType, sha256 } = from;
      return [
        { type: T.FileVersionRestored, data: { fileId: file.fileId, ownerId, version, versionId, blobName, size, contentType, sha256, createdAt: now.toISOString(), restoredFrom: from.version } },
      ];
    }
    case 'LabelVersion': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      const version = versionIn(file.versions, command.data.version);
      const label = command.data.label === null ? null : validateLabel(command.data.label);
      if (label === version.label) return [];
      return [{ type: T.FileVersionLabelled, data: { fileId: file.fileId, ownerId, version: version.version, label, labelledAt: now.toISOString() } }];
    }
    case 'DeleteVersion': {
      const { ownerId, now } = command.data;
      const file = live(state, ownerId);
      const version = versionIn(file.versions, command.data.version);
      if (version.version === file.versions.at(-1)!.version) throw new CurrentVersionError(version.version);
      return deleteVersions(file, [version.version], 'user', now);
    }
    case 'ApplyRetention': {
      const { ownerId, policy, now } = command.data;
      // the trash keeps a file as it was, to be restored or purged whole
      const file = live(state, ownerId);
      return deleteVersions(file, versionsToDrop(file.versions, policy, now), 'retention', now);
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

type Live = Extract<FileState, { status: 'active' | 'trashed' | 'purged' }>;

function versionIn(versions: Live['versions'], n: number) {
  const version = versions.find((v) => v.version === n);
  if (!version) throw new VersionNotFoundError();
  return version;
}

/**
 * One FileVersionDeleted per version, in order; each names its blob for deletion only when no
 * version left after it holds that blob (a restored version shares the blob it was restored from).
 */
function deleteVersions(file: Live, numbers: readonly number[], reason: VersionDeleteReason, now: Date): FileEvent[] {
  let left = file.versions;
  return numbers.map((n) => {
    const version = versionIn(left, n);
    left = left.filter((v) => v.version !== n);
    const shared = left.some((v) => v.blobName === version.blobName);
    return {
      type: T.FileVersionDeleted,
      data: { fileId: file.fileId, ownerId: file.ownerId, version: n, reason, blobName: shared ? null : version.blobName, bytes: shared ? 0 : version.size, deletedAt: now.toISOString() },
    };
  });
}
