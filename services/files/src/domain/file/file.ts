import { FileEventTypes as T, type RehydratePriority } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/** Blob access tiers, hot to cold. */
export type Tier = 'Hot' | 'Cool' | 'Archive';

/** One immutable blob per version, named by ids (`<ownerId>/<fileId>/<versionId>`). */
export interface VersionInfo {
  version: number;
  versionId: string;
  blobName: string;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
}

/*
 * The file's events as the log holds them. Who asked and from where is the events' metadata, not
 * their data; events stored before that rule still carry `address` in their data, which evolve
 * and the projections never read.
 */
/** `folderId`: where it was uploaded to (absent in events stored before folders: the root). */
export type FileUploaded = DomainEvent<typeof T.FileUploaded, { fileId: string; ownerId: string; name: string; via: 'multipart' | 'tus'; folderId?: string | null } & VersionInfo>;
export type FileVersionAdded = DomainEvent<typeof T.FileVersionAdded, { fileId: string; ownerId: string } & VersionInfo>;
export type FileRenamed = DomainEvent<typeof T.FileRenamed, { fileId: string; ownerId: string; from: string; to: string; renamedAt: string }>;
/** `withFolderId`: the folder whose trash took the file along (restored with it); absent when trashed on its own. */
export type FileTrashed = DomainEvent<typeof T.FileTrashed, { fileId: string; ownerId: string; trashedAt: string; withFolderId?: string }>;
export type FileRestored = DomainEvent<typeof T.FileRestored, { fileId: string; ownerId: string; restoredAt: string }>;
export type FilePurged = DomainEvent<
  typeof T.FilePurged,
  /** `blobNames`: the blobs to delete (a file replaced by a restore hands its latest blob on to the file it replaced, as a version). */
  { fileId: string; ownerId: string; purgedAt: string; reason: PurgeReason; blobNames: string[]; bytes: number }
>;
export type FileTierChanged = DomainEvent<typeof T.FileTierChanged, { fileId: string; ownerId: string; from: Tier; to: Tier; changedAt: string }>;
export type FileRehydrationRequested = DomainEvent<
  typeof T.FileRehydrationRequested,
  { fileId: string; ownerId: string; priority: RehydratePriority; requestedAt: string }
>;
export type FileRehydrated = DomainEvent<typeof T.FileRehydrated, { fileId: string; ownerId: string; requestedAt: string; rehydratedAt: string }>;
export type FileShared = DomainEvent<typeof T.FileShared, { fileId: string; ownerId: string; clientId: string; sharedAt: string }>;
export type FileUnshared = DomainEvent<typeof T.FileUnshared, { fileId: string; ownerId: string; clientId: string; unsharedAt: string }>;
export type FileMoved = DomainEvent<typeof T.FileMoved, { fileId: string; ownerId: string; from: string | null; to: string | null; movedAt: string }>;
export type FileStarred = DomainEvent<typeof T.FileStarred, { fileId: string; ownerId: string; starredAt: string }>;
export type FileUnstarred = DomainEvent<typeof T.FileUnstarred, { fileId: string; ownerId: string; unstarredAt: string }>;
/**
 * A new version (`version`, its own `versionId`) whose content is `restoredFrom`'s: the same blob
 * (`blobName`), not a copy. `createdAt` is when it was restored.
 */
export type FileVersionRestored = DomainEvent<typeof T.FileVersionRestored, { fileId: string; ownerId: string; restoredFrom: number } & VersionInfo>;
/** `label`: the version's name; null takes it away. */
export type FileVersionLabelled = DomainEvent<typeof T.FileVersionLabelled, { fileId: string; ownerId: string; version: number; label: string | null; labelledAt: string }>;
/**
 * `blobName`: the blob to delete, or null when another version of the file still holds it (a
 * restore shares blobs); `bytes`: what the delete frees (the blob's size, or 0).
 */
export type FileVersionDeleted = DomainEvent<
  typeof T.FileVersionDeleted,
  { fileId: string; ownerId: string; version: number; reason: VersionDeleteReason; blobName: string | null; bytes: number; deletedAt: string }
>;

/** Why a version was deleted: by its owner, or by the owner's retention policy. */
export type VersionDeleteReason = 'user' | 'retention';

/** Why a file was purged: by its owner, by the trash's retention, or replaced by a restore ("replace as a new version"). */
export type PurgeReason = 'user' | 'retention' | 'replaced';

export type FileEvent =
  | FileUploaded
  | FileVersionAdded
  | FileRenamed
  | FileTrashed
  | FileRestored
  | FilePurged
  | FileTierChanged
  | FileRehydrationRequested
  | FileRehydrated
  | FileShared
  | FileUnshared
  | FileMoved
  | FileStarred
  | FileUnstarred
  | FileVersionRestored
  | FileVersionLabelled
  | FileVersionDeleted;

/** A version as the file's state holds it: its content, its name, and which version it was restored from. */
export interface FileVersion extends VersionInfo {
  label: string | null;
  restoredFrom: number | null;
}

export type FileState =
  | { status: 'none' }
  | {
      status: 'active' | 'trashed' | 'purged';
      fileId: string;
      ownerId: string;
      name: string;
      /** Oldest first; the last is the current one (a deleted version leaves a gap in the numbers). */
      versions: FileVersion[];
      createdAt: string;
      updatedAt: string;
      trashedAt: string | null;
      /** The tier of the latest version's blob (a new version is written hot). */
      tier: Tier;
      /** Versions whose blobs are in the archive tier: they cannot be read until rehydrated. */
      archived: number[];
      /** A rehydration asked for and not yet seen done: when, at which priority. */
      rehydration: { requestedAt: string; priority: RehydratePriority } | null;
      /** Partner client ids that may read this file. */
      grants: string[];
      /** The folder it is in; null at the root. */
      folderId: string | null;
      /** The folder whose trash took it along; null when trashed on its own (or not trashed). */
      trashedWith: string | null;
      starred: boolean;
    };

export const initialFileState: FileState = { status: 'none' };

/** A version as an event describes it, member by member: an older event's extra data stays behind. */
export function versionOf(data: VersionInfo): VersionInfo {
  const { version, versionId, blobName, size, contentType, sha256, createdAt } = data;
  return { version, versionId, blobName, size, contentType, sha256, createdAt };
}

const unnamed = (data: VersionInfo): FileVersion => ({ ...versionOf(data), label: null, restoredFrom: null });

/** The blobs of a file's versions, each once (a restored version shares its blob with the one it was restored from). */
export function distinctBlobs(versions: readonly VersionInfo[]): { blobName: string; size: number }[] {
  const seen = new Map<string, number>();
  for (const v of versions) if (!seen.has(v.blobName)) seen.set(v.blobName, v.size);
  return [...seen].map(([blobName, size]) => ({ blobName, size }));
}

export function evolveFile(state: FileState, event: FileEvent): FileState {
  switch (event.type) {
    case T.FileUploaded: {
      const { fileId, ownerId, name } = event.data;
      const version = unnamed(event.data);
      return {
        status: 'active',
        fileId,
        ownerId,
        name,
        versions: [version],
        createdAt: version.createdAt,
        updatedAt: version.createdAt,
        trashedAt: null,
        tier: 'Hot',
        archived: [],
        rehydration: null,
        grants: [],
        folderId: event.data.folderId ?? null,
        trashedWith: null,
        starred: false,
      };
    }
    default:
      break;
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case T.FileVersionAdded: {
      const version = unnamed(event.data);
      // a new version is written hot: the file is in use again
      return { ...state, versions: [...state.versions, version], updatedAt: version.createdAt, tier: 'Hot' };
    }
    case T.FileRenamed:
      return { ...state, name: event.data.to, updatedAt: event.data.renamedAt };
    case T.FileTrashed:
      return { ...state, status: 'trashed', trashedAt: event.data.trashedAt, trashedWith: event.data.withFolderId ?? null };
    case T.FileRestored:
      return { ...state, status: 'active', trashedAt: null, trashedWith: null };
    case T.FileMoved:
      return { ...state, folderId: event.data.to, updatedAt: event.data.movedAt };
    case T.FileStarred:
      return { ...state, starred: true };
    case T.FileUnstarred:
      return { ...state, starred: false };
    case T.FilePurged:
      return { ...state, status: 'purged', grants: [] };
    case T.FileTierChanged:
      // the tier job archives every version's blob, and never warms an archived one (that is a rehydration)
      return { ...state, tier: event.data.to, archived: event.data.to === 'Archive' ? state.versions.map((v) => v.version) : state.archived };
    case T.FileRehydrationRequested:
      return { ...state, rehydration: { requestedAt: event.data.requestedAt, priority: event.data.priority } };
    case T.FileRehydrated:
      // the latest version is archived exactly when the file is: only then is the file hot again
      return { ...state, tier: state.tier === 'Archive' ? 'Hot' : state.tier, archived: [], rehydration: null };
    case T.FileShared:
      return state.grants.includes(event.data.clientId) ? state : { ...state, grants: [...state.grants, event.data.clientId] };
    case T.FileUnshared:
      return { ...state, grants: state.grants.filter((c) => c !== event.data.clientId) };
    case T.FileVersionRestored: {
      const version: FileVersion = { ...versionOf(event.data), label: null, restoredFrom: event.data.restoredFrom };
      // the same blob as the version restored: archived if that one is, in the file's tier otherwise
      const archived = state.archived.includes(event.data.restoredFrom);
      return {
        ...state,
        versions: [...state.versions, version],
        updatedAt: version.createdAt,
        tier: archived ? 'Archive' : state.tier === 'Archive' ? 'Hot' : state.tier,
        archived: archived ? [...state.archived, version.version] : state.archived,
      };
    }
    case T.FileVersionLabelled: {
      const { version, label } = event.data;
      return { ...state, versions: state.versions.map((v) => (v.version === version ? { ...v, label } : v)) };
    }
    case T.FileVersionDeleted: {
      const { version } = event.data;
      return { ...state, versions: state.versions.filter((v) => v.version !== version), archived: state.archived.filter((n) => n !== version) };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const fileStream = (fileId: string) => `file-${fileId}`;
export const blobNameFor = (ownerId: string, fileId: string, versionId: string) => `${ownerId}/${fileId}/${versionId}`;
